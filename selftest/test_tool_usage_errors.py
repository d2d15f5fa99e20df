"""A tool's usage error (a missing argument, an unknown option) is one line and exit 4, as sweep's and ecrconf's:
2 means a stopped run, and argparse's usage block is not one line."""

import pytest

from ecrconf.replay import __main__ as replay_main
from ecrconf.report import compare, matrix
from ecrconf.run import expectations


@pytest.mark.parametrize("main", [compare.main, matrix.main, expectations.main, replay_main.main],
                         ids=["compare", "matrix", "expectations", "replay"])
@pytest.mark.parametrize("argv", [[], ["--no-such-option", "a", "b"]], ids=["missing", "unknown"])
def test_usage_error_is_one_line_and_exit_4(main, argv, capsys):
    with pytest.raises(SystemExit) as exited:
        main(argv)
    assert exited.value.code == 4
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("python -m ecrconf."), err
