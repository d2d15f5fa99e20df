"""Signature Version 4, as ECR enforces it: data-driven cases from fixtures/protocol/sigv4.json.

Each case is signed with the run's own credentials by requests-aws4auth and broken one way. A target
that does not check signatures at all (many emulators) is reported once, by
test_target_enforces_sigv4; the cases it accepts for that reason are skipped, pointing there, and
everything else it does wrong (an unsigned request answered by another service, a crash) still
fails. Deselect the lot with -m "not auth".
"""

from __future__ import annotations

import pytest

from ecrconf import checks
from ecrconf.checks import protocol_cases
from ecrconf.wire import protocol

pytestmark = [pytest.mark.operation("StartImageScan"), pytest.mark.auth]

NOT_ENFORCED = ("disabled: target does not enforce SigV4, accepted as valid "
                "(see suites/protocol/test_sigv4.py::test_target_enforces_sigv4)")


@pytest.fixture(scope="module")
def probe(client, resources):
    return protocol_cases.Probe(client, resources).supported()


@pytest.fixture(scope="module")
def wrong_secret(probe):
    """The target's answer to a request signed with a wrong secret key: whether it checks signatures at all."""
    return probe.send(protocol_cases.case("sigv4", "wrong-secret"))


@pytest.mark.evidence("documented", "AWS General Reference, Signature Version 4: ECR API requests are signed "
                                    "and a signature that does not verify is refused")
def test_target_enforces_sigv4(probe, wrong_secret):
    """The target MUST check SigV4 signatures: a request signed with a wrong secret key is refused."""
    checks.responded(wrong_secret)
    if probe.answered_as_valid(wrong_secret):
        raise checks.ConformanceFailure(
            "target does not enforce SigV4",
            received=f"a request signed with a wrong secret key was answered as a valid one "
                     f"(HTTP {wrong_secret.status} {protocol.error_type(wrong_secret)})",
            expected="a refusal (InvalidSignatureException); the SigV4 cases this explains are skipped, "
                     "and -m 'not auth' deselects them all",
            exchange=wrong_secret)


@pytest.mark.parametrize("case", protocol_cases.params("sigv4"))
def test_signature(case, probe, wrong_secret, request):
    """A request whose SigV4 signature is missing, malformed, stale or does not verify MUST be refused."""
    exchange = probe.send(case)
    if probe.answered_as_valid(exchange) and probe.answered_as_valid(wrong_secret):
        pytest.skip(NOT_ENFORCED)
    probe.judge(case, exchange, request.node)
