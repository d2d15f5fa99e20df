"""ecrconf: the harness behind the ECR conformance suite."""

# The one place the version is written: pyproject.toml reads it ([tool.hatch.version]); the run header,
# results.json (run.suite_version) and `ecrconf --version` show it.
__version__ = "0.1.0"
