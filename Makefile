# The two commands: `make conformance` (the suite; ENDPOINT=URL and TARGET=NAME optional) and `make test` (the project's own tests).
# make reports any failing command as status 2; .venv/bin/pytest keeps the suite's own exit statuses.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready
PYTEST_ARGS ?=
ENDPOINT ?=
TARGET ?=

MINISTACK_VERSION := 1.5.33
# MiniStack pins its own botocore and graphql-core; in .venv it would downgrade the suite's pins,
# so it gets a virtualenv of its own inside .venv (ignored by git, removed by make clean).
MINISTACK := $(VENV)/ministack-$(MINISTACK_VERSION)

.PHONY: setup conformance conformance-ministack reports score selftest test schemas bench clean

setup: $(READY)

$(READY): requirements.txt constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	@touch $@

# The suite, against ENDPOINT or, without it, an embedded moto server; TARGET names it (expectations/TARGET.toml).
conformance: $(READY)
	$(BIN)/pytest -n auto $(if $(ENDPOINT),--endpoint=$(ENDPOINT)) $(if $(TARGET),--target=$(TARGET)) $(PYTEST_ARGS)

# The suite against MiniStack, started on a free loopback port for the run and stopped afterwards.
conformance-ministack: $(READY) $(MINISTACK)/bin/ministack
	$(BIN)/python -m ecrconf.run.ministack --ministack $(MINISTACK)/bin/ministack --report-dir reports/ministack -- -n auto $(PYTEST_ARGS)

# Every report for the embedded moto and for MiniStack, then the matrix of the two, under reports/.
# A target's deviations must not stop the others' reports: hence the leading '-'.
reports: $(READY) $(MINISTACK)/bin/ministack
	-$(BIN)/pytest -n auto --report-dir reports/moto $(PYTEST_ARGS)
	-$(BIN)/python -m ecrconf.run.ministack --ministack $(MINISTACK)/bin/ministack --report-dir reports/ministack -- -n auto $(PYTEST_ARGS)
	$(BIN)/python -m ecrconf.report.matrix reports/moto/results.json reports/ministack/results.json \
		--html reports/matrix.html --markdown reports/matrix.md

$(MINISTACK)/bin/ministack:
	$(PYTHON) -m venv $(MINISTACK)
	$(MINISTACK)/bin/pip install --quiet --disable-pip-version-check ministack==$(MINISTACK_VERSION)

# The project's own tests (offline), then the suite against embedded moto with its known deviations.
test: selftest
	$(BIN)/pytest -n auto $(PYTEST_ARGS)

selftest: $(READY)
	$(BIN)/pytest -c selftest/pytest.ini --rootdir=selftest -n auto selftest

# The suite's calibration by mutation: kill rate and false alarms per area, in reports/calibration/.
score: $(READY)
	$(BIN)/python -m selftest.calibration --report-dir reports/calibration

# What the harness itself costs: raw signed loop vs the suite against moto (serial, -n 2) and an instant
# stub; writes reports/bench/bench.{json,md}. A benchmark, never part of test's verdict. BENCH_ARGS=--profile
BENCH_ARGS ?=
bench: $(READY)
	$(BIN)/python -m ecrconf.bench --report-dir reports/bench $(BENCH_ARGS)

# Regenerate schemas/ from the pinned botocore model.
schemas: $(READY)
	$(BIN)/python -m ecrconf.spec.schemagen

clean:
	rm -rf $(VENV)
