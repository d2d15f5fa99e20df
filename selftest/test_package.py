"""The suite works installed, away from the repository, and judges as it does inside it.

The wheel is built from the working tree (``pip wheel --no-build-isolation --no-index``: no download) and
installed alone (``--no-deps --no-index``) into a fresh virtual environment in a temporary folder. That
environment gets the suite's dependencies without a download from a ``.pth`` file naming the site-packages
of the environment that runs the self-tests (the project's .venv): the wheel's own files are the only
copy of ecrconf there, and the repository is on no path (the runs start in a temporary folder, with no
PYTHONPATH). From there ``ecrconf run`` tests the embedded moto and ``python -m pytest --pyargs
ecrconf.suites`` a moto server; both must give every check of a small selection (passes and known
deviations of moto) the outcome a run inside the repository gives it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from ecrconf import __version__
from ecrconf.bench import runs
from selftest import pytest_runs

ROOT = Path(__file__).resolve().parent.parent
# 4 checks moto passes and 46 it fails as its expectations file records: ids and expectations must both hold.
SELECTION = "BatchCheckLayerAvailability and invalid_request or start_image_scan and absent"
TIMEOUT = 300


def _environment(**extra: str) -> dict[str, str]:
    """This environment without a path into the repository, AWS settings or pytest options of its own."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "PYTEST_", "PYTHON")) and k != "VIRTUAL_ENV"}
    return {**env, **extra}


def _call(command: list, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(part) for part in command], cwd=cwd, env=env or _environment(),
                          capture_output=True, text=True, timeout=TIMEOUT)


def _outcomes(report_dir: Path) -> dict[str, str]:
    document = json.loads((report_dir / "results.json").read_text())
    assert document["run"]["suite_version"] == __version__
    return {record["id"]: record["outcome"] for record in document["results"]}


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """Build the wheel, install it into a fresh environment outside the repository: its paths."""
    pytest.importorskip("hatchling", reason="the build backend of pyproject.toml is not installed")
    base = tmp_path_factory.mktemp("package")
    built = _call([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
                   "--quiet", "-w", base / "dist", ROOT], cwd=base)
    assert built.returncode == 0, built.stderr
    wheel, = (base / "dist").glob("ecr_conformance-*.whl")
    venv = base / "venv"
    made = _call([sys.executable, "-m", "venv", "--without-pip", venv], cwd=base)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    site = _call([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=base)
    ours = {str(Path(sysconfig.get_paths()[key]).resolve()) for key in ("purelib", "platlib")}
    Path(site.stdout.strip(), "ecrconf-dependencies.pth").write_text("\n".join(sorted(ours)) + "\n")
    install = _call([sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--no-index",
                     "--quiet", wheel], cwd=base)
    assert install.returncode == 0, install.stderr
    work = base / "work"  # where the runs start: neither the repository nor the environment
    work.mkdir()
    return {"wheel": wheel, "venv": venv, "python": python, "work": work, "base": base}


@pytest.fixture(scope="module")
def verdicts(installed) -> dict:
    """The outcomes per check id of the selection: in the repository, installed with ecrconf run against
    the embedded moto, and installed with pytest --pyargs against a moto server."""
    base, work = installed["base"], installed["work"]
    repo = pytest_runs.run(["-q", "-k", SELECTION, f"--report-dir={base / 'repo'}"], env=_environment(),
                           timeout=TIMEOUT)
    assert repo.returncode == 0, repo.stdout[-2000:]
    run = _call([installed["venv"] / "bin" / "ecrconf", "run", "-k", SELECTION,  # not -q: the header too
                 f"--report-dir={base / 'run'}"], cwd=work)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    with runs.server("moto") as url:
        target = json.loads((base / "repo" / "results.json").read_text())["run"]["target"]  # moto-<version>
        pyargs = _call([installed["python"], "-m", "pytest", "--pyargs", "ecrconf.suites", "-q", "-k", SELECTION,
                        f"--endpoint={url}", f"--target={target}", f"--report-dir={base / 'pyargs'}"],
                       cwd=work, env=_environment(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing"))
    assert pyargs.returncode == 0, pyargs.stdout[-2000:] + pyargs.stderr[-2000:]
    return {"repo": _outcomes(base / "repo"), "run": _outcomes(base / "run"), "pyargs": _outcomes(base / "pyargs"),
            "run_output": run.stdout}


def test_the_installed_package_needs_nothing_from_the_checkout(installed):
    found = _call([installed["python"], "-c", "import ecrconf, ecrconf.paths as p; "
                   "print(ecrconf.__file__); print(p.INSTALLED); print(p.data('schemas'))"], cwd=installed["work"])
    module, flag, schemas = found.stdout.split()
    assert not Path(module).resolve().is_relative_to(ROOT)
    assert Path(module).resolve().is_relative_to(installed["venv"].resolve())
    assert flag == "True" and Path(schemas, "source.json").is_file()


def test_version_is_the_package_version(installed):
    shown = _call([installed["venv"] / "bin" / "ecrconf", "--version"], cwd=installed["work"])
    assert (shown.returncode, shown.stdout.strip()) == (0, f"ecrconf {__version__}")
    assert installed["wheel"].name.startswith(f"ecr_conformance-{__version__}-")


def test_installed_runs_give_the_verdicts_of_the_repository(verdicts):
    repo = verdicts["repo"]
    assert len(repo) == 50 and set(repo.values()) == {"pass", "expected-failure"}
    assert verdicts["run"] == repo
    assert verdicts["pyargs"] == repo


def test_the_run_header_names_the_version(verdicts):
    assert f"suite: ecrconf {__version__}" in verdicts["run_output"]


def test_another_pytest_run_in_the_environment_does_not_load_the_suite(installed):
    """The pytest11 entry point loads the suite's plugin only for a run that names the suites."""
    project = installed["base"] / "project"
    project.mkdir()
    (project / "test_own.py").write_text("def test_own():\n    pass\n")
    own = _call([installed["python"], "-m", "pytest", "-q", "-p", "no:cacheprovider", project], cwd=project)
    assert own.returncode == 0, own.stdout
    assert "1 passed" in own.stdout and "ECR conformance" not in own.stdout and "--endpoint" not in own.stdout
    listed = _call([installed["python"], "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider",
                    "--pyargs", "ecrconf.suites", "-k", SELECTION], cwd=project)
    assert listed.returncode == 0 and "50/" in listed.stdout, listed.stdout[-1000:]
