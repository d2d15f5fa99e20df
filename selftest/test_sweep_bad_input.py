"""sweep: an --older-than too long for a timedelta and a region that is no region name are bad input, one line
and exit 4, before anything is sent (a traceback and 1, or a misleading "not an ECR endpoint" 8, before)."""

import pytest

from ecrconf import sweep


@pytest.mark.parametrize("argv", [["--older-than=99999999999999d"], ["--region=nowhere!"]], ids=["age", "region"])
def test_bad_input_is_one_line_and_exit_4(argv, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "x")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "y")
    assert sweep.main(["--endpoint=http://127.0.0.1:1", *argv]) == 4  # port 1: a probe would answer 7
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("ecrconf.sweep: "), err
