"""awsJson1_1 on the wire: request bodies, routing and the framing of every answer, as data-driven cases.

The cases are the tables fixtures/protocol/{body,routing,framing}.json; ecrconf/checks/protocol_cases.py
builds each request from the valid signed StartImageScan request and judges the answer.
"""

from __future__ import annotations

import pytest

from ecrconf.checks import protocol_cases

pytestmark = pytest.mark.operation("StartImageScan")


@pytest.fixture(scope="module")
def probe(client, resources):
    return protocol_cases.Probe(client, resources).supported()


@pytest.mark.parametrize("case", protocol_cases.params("body"))
def test_request_body(case, probe, request):
    """A request body MUST be one JSON object of the input's types; unknown members are ignored."""
    probe.judge(case, probe.send(case), request.node)


@pytest.mark.parametrize("case", protocol_cases.params("routing"))
def test_routing(case, probe, request):
    """Only a POST with the awsJson1_1 Content-Type and this service's X-Amz-Target MAY run an operation."""
    probe.judge(case, probe.send(case), request.node)


@pytest.mark.parametrize("case", protocol_cases.params("framing"))
def test_response_framing(case, probe, request):
    """Every answer MUST be framed as awsJson1_1: Content-Type, request id, typed error body, 400 for client errors."""
    probe.judge(case, probe.send(case), request.node)
