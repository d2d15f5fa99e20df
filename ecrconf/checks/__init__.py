"""Checks: plain functions over an Exchange that raise when the target deviates.

A deviation raises ``ConformanceFailure`` (an AssertionError: the test FAILS). A target that gives
no answer at all (timeout, reset, refused) raises ``TargetUnresponsive``, a ``NoVerdict``: the run
cannot judge that exchange, which is a different outcome (an ERROR) from a wrong answer.
"""

from __future__ import annotations

import json
from collections.abc import Collection
from functools import cache

import pytest

from ecrconf import paths
from ecrconf.spec import schemas
from ecrconf.wire import protocol
from ecrconf.wire.exchange import Exchange, printable
from ecrconf.wire.retries import RetriesExhausted

COMMON_ERRORS_FILE = paths.data("fixtures", "common_errors.json")
VALIDATION_ERRORS = frozenset({"InvalidParameterException", "ValidationException"})
SERIALIZATION_ERRORS = VALIDATION_ERRORS | {"SerializationException"}


class ConformanceFailure(AssertionError):
    """The target answered, and the answer deviates. str() is the title, what was received and expected,
    the exchange and a reproduction."""

    def __init__(self, title: str, *, received: str, expected: str, exchange: Exchange | None = None):
        self.title = title
        self.received = received
        self.exchange = exchange
        # Any of the three can quote the target (a body, an error type, a header): shown printable.
        lines = [printable(title), f"Received: {printable(received)}", f"Expected: {printable(expected)}"]
        if exchange is not None:
            lines += [exchange.describe(), f"reproduce: {exchange.as_curl()}"]
        super().__init__("\n".join(lines))


class NoVerdict(Exception):
    """The run could not judge: the target gave no answer, or a call made to set the test up failed.

    Reported as an error, never as a deviation (known or not), and never shrunk by Hypothesis
    (``ecrconf.run.shrinking``).
    """


# Everything that ends a check without a verdict: a NoVerdict, or a request whose every attempt was answered
# "try again later" (ecrconf.wire.retries), which says nothing about conformance either.
NO_VERDICT = (NoVerdict, RetriesExhausted)


def answer_seen(exchange: Exchange | None) -> dict | None:
    """What a failure is about, as an expectations entry records it: {"status": int, "error": str | None}
    (the sanitised error type); None when the failure names no exchange that was answered."""
    if exchange is None or exchange.response is None:
        return None
    return {"status": exchange.status, "error": protocol.error_type(exchange)}


class TargetUnresponsive(NoVerdict):
    def __init__(self, exchange: Exchange):
        self.exchange = exchange
        super().__init__(f"{exchange.operation}: no response from the target: "
                         f"{printable(str(exchange.transport_error))}\n"
                         f"reproduce: {exchange.as_curl()}")


class OperationUnsupported(pytest.skip.Exception):
    """The target does not implement the operation under test: reported apart from a failure.

    pytest's skip, so that Hypothesis stops at once instead of shrinking it as a failure, and so that it
    reaches the report as itself, with its exchange (pytest would replace a unittest.SkipTest).
    """

    def __init__(self, exchange: Exchange):
        self.exchange = exchange
        super().__init__(f"unsupported: {exchange.operation} is not implemented by the target "
                         f"({_outcome(exchange)})")


@cache
def common_errors() -> dict[str, dict]:
    return json.loads(COMMON_ERRORS_FILE.read_text())["errors"]


def allowed_statuses(operation: str, error: str) -> set[int] | None:
    """The statuses a conformant endpoint may send with this error; None if the type is unknown."""
    if error in schemas.modelled_errors(operation):
        # The model gives no httpStatusCode to ECR errors: awsJson defaults are 400, faults 500.
        return {500, 502, 503, 504} if schemas.is_fault(error) else {400}
    if error in common_errors():
        return set(common_errors()[error]["statuses"])
    return None


def responded(exchange: Exchange) -> None:
    if exchange.response is None:
        raise TargetUnresponsive(exchange)


def json_content_type(exchange: Exchange) -> None:
    responded(exchange)
    if protocol.media_type(exchange) != protocol.CONTENT_TYPE:
        raise ConformanceFailure(
            "response Content-Type is not awsJson1_1",
            received=repr(exchange.response.header("content-type")),
            expected=protocol.CONTENT_TYPE, exchange=exchange)


def matches_output_schema(exchange: Exchange) -> dict:
    body = exchange.body
    problems = (schemas.violations("output", exchange.operation, body) if isinstance(body, dict)
                else [f"(root): body is {type(body).__name__}, not a JSON object"])
    if problems:
        raise ConformanceFailure(
            f"{exchange.operation} response does not match its output schema",
            received="; ".join(problems[:5]), expected=f"schemas/output/{exchange.operation}.json",
            exchange=exchange)
    return body


def succeeded(exchange: Exchange) -> dict:
    """HTTP 200, awsJson1_1 content type, a body valid against the output schema; returns the body."""
    answered_200(exchange)
    return matches_output_schema(exchange)


def answered_200(exchange: Exchange) -> object:
    """HTTP 200 and the awsJson1_1 content type, the body not held to the schema (for a check that judges
    only part of it); returns the body."""
    responded(exchange)
    if protocol.not_implemented(exchange):
        raise OperationUnsupported(exchange)
    if exchange.status != 200:
        raise ConformanceFailure(
            f"{exchange.operation} did not succeed",
            received=_outcome(exchange), expected="HTTP 200", exchange=exchange)
    json_content_type(exchange)
    return exchange.body


def well_formed_error(exchange: Exchange) -> str:
    """An error a client can read: a type known for the operation and the status that goes with it.

    Returns the sanitised error type.
    """
    responded(exchange)
    if exchange.status < 400:
        raise ConformanceFailure("expected an error response", received=_outcome(exchange),
                                 expected="HTTP 4xx/5xx with an awsJson1_1 error body", exchange=exchange)
    if not isinstance(exchange.body, dict):
        raise ConformanceFailure("error body is not a JSON object", received=_outcome(exchange),
                                 expected='a JSON object such as {"__type": "...", "message": "..."}',
                                 exchange=exchange)
    error = protocol.error_type(exchange)
    if error is None:
        raise ConformanceFailure("error response names no error type", received=_outcome(exchange),
                                 expected="__type in the body or an X-Amzn-ErrorType header", exchange=exchange)
    statuses = allowed_statuses(exchange.operation, error)
    if statuses is None:
        raise ConformanceFailure(
            f"error type {error!r} is neither modelled for {exchange.operation} nor a common AWS error",
            received=error, expected=", ".join(schemas.modelled_errors(exchange.operation)) + " or a common error",
            exchange=exchange)
    if exchange.status not in statuses:
        raise ConformanceFailure(f"{error} sent with the wrong HTTP status", received=str(exchange.status),
                                 expected=" or ".join(map(str, sorted(statuses))), exchange=exchange)
    return error


def failed_with(exchange: Exchange, allowed: Collection[str]) -> str:
    """A well-formed error whose type is one of allowed; returns the type seen."""
    responded(exchange)
    expected = " or ".join(sorted(allowed))
    if exchange.status is not None and exchange.status < 400:
        raise ConformanceFailure(f"expected {expected}", received=_outcome(exchange), expected=expected,
                                 exchange=exchange)
    if protocol.not_implemented(exchange) and protocol.error_type(exchange) not in allowed:
        raise OperationUnsupported(exchange)
    error = well_formed_error(exchange)
    if error not in allowed:
        raise ConformanceFailure(f"expected {expected}, got {error}", received=_outcome(exchange),
                                 expected=expected, exchange=exchange)
    return error


def _outcome(exchange: Exchange) -> str:
    error = protocol.error_type(exchange)
    suffix = f" {error}" if error else ""
    body = exchange.response.body[:200].decode("utf-8", errors="replace") if exchange.response else ""
    return printable(f"HTTP {exchange.status}{suffix} {body}".strip())


def require(condition: bool, title: str, *, received: str, expected: str, exchange: Exchange | None = None) -> None:
    """A named requirement of an answer: raises ConformanceFailure(title, received, expected, exchange)
    unless condition holds. For checks no other function here makes (what an operation means)."""
    if not condition:
        raise ConformanceFailure(title, received=received, expected=expected, exchange=exchange)
