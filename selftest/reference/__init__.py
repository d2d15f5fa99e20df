"""A local, strict reference ECR endpoint for the project's self-tests (not part of the harness).

It implements every operation of the model (schemas/operations.json) and answers as real Amazon ECR
does according to docs/evidence/real-ecr-behaviour.md and real-ecr-behaviour-operations.md, so that the
suite can be calibrated against it; ``Behaviour`` turns named knobs for conformant variants and
breakages.
"""

from selftest.reference.behaviour import Behaviour
from selftest.reference.server import ACCOUNT_ID, REFERENCE_KEYS, REGION, ReferenceEcr
from selftest.reference.sigv4 import KeyPair

__all__ = ["ACCOUNT_ID", "Behaviour", "KeyPair", "REFERENCE_KEYS", "REGION", "ReferenceEcr"]
