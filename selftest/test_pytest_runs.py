"""selftest/pytest_runs.py: a forked run is the run ``python -m pytest`` gives, only faster to start.

Each comparison runs the same arguments both ways, a real ``python -m pytest`` subprocess and a fork of
the pre-imported server, and holds them to the same exit status, output, and what the running code sees
(working directory, environment, sys.path, sys.argv, local modules).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from selftest import pytest_runs

ROOT = pytest_runs.ROOT
PROBE = '''
import json, os, sys

def test_probe():
    local = sorted(name for name, module in sys.modules.items()
                   if (getattr(module, "__file__", None) or "").startswith({root!r} + os.sep)
                   and "/site-packages/" not in module.__file__)
    seen = {{"cwd": os.getcwd(), "env": dict(os.environ), "path": sys.path, "argv": sys.argv,
             "local_modules": local, "main": getattr(sys.modules["__main__"], "__file__", None),
             "parent": os.getppid()}}
    print("PROBE " + json.dumps(seen))
    sys.stdout.flush()
    os.write(1, b"written below Python\\n")
    os.write(2, b"written below Python to fd 2\\n")
'''
HANG = '''
import os, time

def test_hang():
    print("started", os.getpid(), flush=True)
    time.sleep(600)
'''


def both(args: list[str], env: dict[str, str]) -> tuple[subprocess.CompletedProcess, subprocess.CompletedProcess]:
    real = subprocess.run([sys.executable, "-m", "pytest", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    return real, pytest_runs.run(args, env=env, timeout=120)


def steady(text: str) -> str:
    """Output without what differs from one run to the next: durations."""
    return re.sub(r"\d+\.\d+s\b", "N.NNs", text)


def emulator_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_EC2_METADATA_DISABLED="true",
               ECRCONF_SELFTEST_MARK="only-this-run")
    return env


@pytest.mark.parametrize("args", [
    ["-q", "-p", "no:cacheprovider", "--evidence=strongest"],  # pytest's usage error: exit 4
    ["-q", "-p", "no:cacheprovider", "--endpoint=http://127.0.0.1:9"],  # the plugin's own exit status: 7
    ["-p", "no:cacheprovider", "--collect-only", "--target=no-such-target"],  # the header and every test
], ids=["usage-error", "unreachable", "collect-only"])
def test_a_forked_run_exits_and_prints_as_python_m_pytest(args):
    real, forked = both(args, emulator_env())
    assert (forked.returncode, steady(forked.stdout), steady(forked.stderr)) == \
        (real.returncode, steady(real.stdout), steady(real.stderr))
    assert forked.stdout or forked.stderr


def test_a_forked_run_sees_what_python_m_pytest_sees(tmp_path):
    (tmp_path / "test_probe.py").write_text(PROBE.format(root=str(ROOT)))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    args = ["-q", "-s", "-p", "no:cacheprovider", f"--rootdir={tmp_path}", "-c", str(tmp_path / "pytest.ini"),
            str(tmp_path / "test_probe.py")]
    real, forked = both(args, emulator_env())
    assert real.returncode == forked.returncode == 0, forked.stdout + forked.stderr
    seen = [json.loads(re.search(r"^PROBE (.*)$", done.stdout, re.M).group(1)) for done in (real, forked)]
    assert seen[0]["parent"] == os.getpid() and seen[1]["parent"] != os.getpid(), "the second run was not forked"
    for key in ("cwd", "env", "path", "argv", "local_modules", "main"):
        assert seen[1][key] == seen[0][key], key
    assert seen[1]["env"]["ECRCONF_SELFTEST_MARK"] == "only-this-run" and "AWS_SESSION_TOKEN" not in seen[1]["env"]
    for done in (real, forked):
        assert "written below Python\n" in done.stdout and "written below Python to fd 2\n" in done.stderr


def test_a_run_past_its_timeout_is_killed(tmp_path):
    (tmp_path / "test_hang.py").write_text(HANG)
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    args = ["-q", "-s", "-p", "no:cacheprovider", f"--rootdir={tmp_path}", "-c", str(tmp_path / "pytest.ini"),
            str(tmp_path / "test_hang.py")]
    with pytest.raises(subprocess.TimeoutExpired) as expired:
        pytest_runs.run(args, env=emulator_env(), timeout=1)
    pid = int(re.search(r"started (\d+)", expired.value.output).group(1))  # what it printed before it was killed
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


@pytest.mark.parametrize("elsewhere", [True, False], ids=["another-directory", "another-hash-seed"])
def test_a_run_a_fork_cannot_stand_for_is_a_plain_subprocess(tmp_path, elsewhere):
    """Outside the project root, or with interpreter start-up variables the forkserver did not start with."""
    (tmp_path / "test_probe.py").write_text(PROBE.format(root=str(ROOT)))
    (tmp_path / "pytest.ini").write_text("[pytest]\n")
    env = emulator_env() | ({} if elsewhere else {"PYTHONHASHSEED": "1234"})
    args = ["-q", "-s", "-p", "no:cacheprovider", f"--rootdir={tmp_path}", "-c", str(tmp_path / "pytest.ini"),
            str(tmp_path / "test_probe.py")]
    done = pytest_runs.run(args, env=env, timeout=120, cwd=tmp_path if elsewhere else ROOT)
    seen = json.loads(re.search(r"^PROBE (.*)$", done.stdout, re.M).group(1))
    assert done.returncode == 0 and seen["parent"] == os.getpid()
    ours = {name: value for name, value in env.items() if name != "PYTEST_CURRENT_TEST"}  # the run sets its own
    assert seen["cwd"] == str(tmp_path if elsewhere else ROOT)
    assert {name: value for name, value in seen["env"].items() if name != "PYTEST_CURRENT_TEST"} == ours
