"""python -m selftest.calibration [--report-dir DIR] [--jobs N] [NAME ...]: run the calibration, print the score.

Exit status 0 when every mutant meets its expectation (killed, or surviving for its stated reason), no
variant is flagged and the suite passes against the reference; 1 otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from selftest.calibration import catalogue, score
from selftest.calibration.engine import calibrate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m selftest.calibration", description=__doc__.splitlines()[0])
    parser.add_argument("--report-dir", type=Path, help="write calibration.json and calibration.md here")
    parser.add_argument("--jobs", type=int, default=2, help="suite runs at a time (default 2)")
    parser.add_argument("names", nargs="*", help="only these mutants and variants (default: all)")
    options = parser.parse_args(argv)
    chosen = catalogue.load()
    if options.names:
        chosen = chosen.only(set(options.names))
    calibration = calibrate(chosen, jobs=options.jobs)
    result = score.document(calibration)
    print(score.console(result))
    if options.report_dir:
        print("written: " + ", ".join(str(path) for path in score.write(result, options.report_dir)))
    return 0 if calibration.as_expected else 1


if __name__ == "__main__":
    sys.exit(main())
