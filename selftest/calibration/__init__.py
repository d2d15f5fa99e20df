"""Calibration of the conformance suite by mutation: what it catches, and its silence where ECR is matched.

The reference endpoint (selftest/reference) is broken in named ways (mutants) and varied in ways the
protocol allows (variants), both listed in selftest/reference/mutants.toml; the suite runs against
each. ``python -m selftest.calibration --report-dir DIR`` prints the score and writes it to DIR.
"""
