"""The conformance suites. A package so that the installed copy runs as ``pytest --pyargs ecrconf.suites``."""
