# The two commands: `make conformance` (the suite; ENDPOINT=URL optional) and `make test` (the project's own tests).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
READY := $(VENV)/.ready
PYTEST_ARGS ?=
ENDPOINT ?=

.PHONY: setup conformance selftest test schemas clean

setup: $(READY)

$(READY): requirements.txt constraints.txt
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt -c constraints.txt
	@touch $@

# The suite, against ENDPOINT or, without it, an embedded moto server.
conformance: $(READY)
	$(BIN)/pytest -n auto $(if $(ENDPOINT),--endpoint=$(ENDPOINT)) $(PYTEST_ARGS)

# The project's own tests (offline), then the suite against embedded moto with its known deviations.
test: selftest
	$(BIN)/pytest -n auto $(PYTEST_ARGS)

selftest: $(READY)
	$(BIN)/pytest -c selftest/pytest.ini --rootdir=selftest -n auto selftest

# Regenerate schemas/ from the pinned botocore model.
schemas: $(READY)
	$(BIN)/python -m ecrconf.schemagen

clean:
	rm -rf $(VENV)
