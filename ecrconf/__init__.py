"""ecrconf: the harness behind the ECR conformance suite."""

__version__ = "0.1.0"
