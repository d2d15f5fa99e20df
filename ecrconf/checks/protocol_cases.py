"""Protocol and SigV4 cases kept as data (fixtures/protocol/<table>.json): built, sent and judged.

Every case alters one valid, signed StartImageScan request for a repository that does not exist
(``${repository}``, under the run's prefix, so nothing outside the run is touched). A correct endpoint
answers that request RepositoryNotFoundException, so any other answer tells what it made of the
alteration, and the same answer means it ignored the alteration ("refused" fails).

A case is ``{id, requirement, request, expect, precisely?}``.

request (every key optional; {} is the valid request)
    operation      X-Amz-Target's operation (default StartImageScan)
    payload        the JSON input; "${repository}" and "${existing}" (a repository the run creates)
    body           the raw body text, instead of payload
    body_size      pads the payload with an unknown member to this many bytes
    method         default POST
    headers        set, or with null removed, before signing
    requires       "session-token": skipped unless the run's credentials carry one
    sign           false (unsigned), or the signing changed: access_key (literal), secret_key
                   "altered", region "another", service (literal), clock_minutes, session_token false
    after_signing  payload (the body replaced, its signed hash kept), authorization_without
                   [parameters], shift_date_seconds (X-Amz-Date moved)
expect (strict) and precisely (narrower, on weaker evidence: advisory unless --evidence allows it)
    status         [codes], "4xx" or "not-5xx"
    error          "any" (a well-formed awsJson1_1 error) or [error types, sanitised]
    refused        true: not answered as the valid request is
    message        true (a message is present) or the text it starts with
    content_type   true: Content-Type application/x-amz-json-1.1
    request_id     true: an x-amzn-RequestId header
    closes_connection  true: closing the connection without an answer also counts as refusing
    evidence       [level, source]
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import cache

import pytest
import requests
from requests_aws4auth import AWS4Auth

from ecrconf import paths
from ecrconf import checks
from ecrconf.spec import evidence
from ecrconf.wire import protocol
from ecrconf.checks import ConformanceFailure
from ecrconf.wire.exchange import Exchange

TABLES = paths.data("fixtures", "protocol")
OPERATION = "StartImageScan"
VALID_PAYLOAD = {"repositoryName": "${repository}", "imageId": {"imageTag": "absent"}}
VALID_ANSWER = "RepositoryNotFoundException"
OTHER_REGIONS = ("eu-west-1", "us-west-2")
AMZ_DATE = "%Y%m%dT%H%M%SZ"
DROPPED = "connection failed"  # how EcrClient reports a connection the target closed or reset
STATUS_CLASSES = {"4xx": ("a 4xx client error", (400, 499)), "not-5xx": ("anything but a 5xx fault", (100, 499))}
REQUEST_KEYS = {"operation", "payload", "body", "body_size", "method", "headers", "requires", "sign",
                "after_signing"}


@dataclass(frozen=True)
class Expectation:
    level: str
    source: str
    status: tuple[int, ...] | str | None = None
    error: tuple[str, ...] | str | None = None
    refused: bool = False
    message: bool | str = False
    content_type: bool = False
    request_id: bool = False
    closes_connection: bool = False

    @classmethod
    def read(cls, data: dict) -> Expectation:
        fields = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items() if k != "evidence"}
        expectation = cls(*data["evidence"], **fields)
        if isinstance(expectation.status, str) and expectation.status not in STATUS_CLASSES:
            raise ValueError(f"unknown status class in {data}")
        return expectation


@dataclass(frozen=True)
class Case:
    table: str
    id: str
    requirement: str
    expect: Expectation
    precisely: Expectation | None
    request: dict = field(hash=False, compare=False)

    def param(self):
        return pytest.param(self, id=self.id, marks=pytest.mark.evidence(self.expect.level, self.expect.source))


@cache
def load(table: str) -> tuple[Case, ...]:
    cases = []
    for data in json.loads((TABLES / f"{table}.json").read_text())["cases"]:
        unknown = set(data.get("request", {})) - REQUEST_KEYS
        if unknown:
            raise ValueError(f"{table}.json {data['id']}: unknown request keys {sorted(unknown)}")
        precisely = Expectation.read(data["precisely"]) if "precisely" in data else None
        cases.append(Case(table, data["id"], data["requirement"], Expectation.read(data["expect"]), precisely,
                          data.get("request", {})))
    return tuple(cases)


def params(table: str) -> list:
    return [case.param() for case in load(table)]


def case(table: str, case_id: str) -> Case:
    return next(c for c in load(table) if c.id == case_id)


class Probe:
    """Sends cases to the run's target and judges the answers against what the valid request gets."""

    def __init__(self, client, resources):
        self.client = client
        self.resources = resources
        self.absent = f"{resources.prefix}-protocol-absent"
        self._existing: str | None = None
        self._valid: Exchange | None = None

    # --- building and sending --------------------------------------------------------------------

    def send(self, case: Case) -> Exchange:
        spec = case.request
        if spec.get("requires") == "session-token" and not self.client.credentials.token:
            pytest.skip("not applicable: the run's credentials carry no session token")
        altered = bool(set(spec) - {"operation", "payload", "body"})  # else curl can re-sign it as sent
        return self.client.send(self.prepare(spec), spec.get("operation", OPERATION), altered=altered)

    def prepare(self, spec: dict) -> requests.PreparedRequest:
        prepared = self.client.prepare(spec.get("operation", OPERATION), body=self._body(spec),
                                       headers=spec.get("headers"), sign=False)
        prepared.method = spec.get("method", "POST")
        sign = spec.get("sign", {})
        if sign is not False:
            if "clock_minutes" in sign:
                when = datetime.now(timezone.utc) + timedelta(minutes=sign["clock_minutes"])
                prepared.headers["X-Amz-Date"] = when.strftime(AMZ_DATE)  # AWS4Auth signs for this date
            self._signer(sign)(prepared)
        self._alter(prepared, spec.get("after_signing", {}))
        return prepared

    def _signer(self, sign: dict) -> AWS4Auth:
        mine = self.client.credentials
        secret = f"altered-{mine.secret_key}" if sign.get("secret_key") == "altered" else mine.secret_key
        region = self.client.region
        if sign.get("region") == "another":
            region = next(r for r in OTHER_REGIONS if r != region)
        token = mine.token if sign.get("session_token", True) else None
        return AWS4Auth(sign.get("access_key", mine.access_key), secret, region, sign.get("service", "ecr"),
                        session_token=token)

    def _alter(self, prepared: requests.PreparedRequest, after: dict) -> None:
        if "payload" in after:
            prepared.body = json.dumps(self._filled(after["payload"])).encode()
            prepared.headers["Content-Length"] = str(len(prepared.body))
        if "authorization_without" in after:
            algorithm, _, parameters = prepared.headers["Authorization"].partition(" ")
            kept = [p for p in parameters.split(", ") if p.split("=", 1)[0] not in after["authorization_without"]]
            prepared.headers["Authorization"] = f"{algorithm} {', '.join(kept)}"
        if "shift_date_seconds" in after:
            when = datetime.strptime(prepared.headers["X-Amz-Date"], AMZ_DATE)
            prepared.headers["X-Amz-Date"] = (when + timedelta(seconds=after["shift_date_seconds"])).strftime(AMZ_DATE)

    def _body(self, spec: dict) -> bytes:
        if "body" in spec:
            return self._filled(spec["body"]).encode()
        encoded = json.dumps(self._filled(spec.get("payload", VALID_PAYLOAD)))
        if "body_size" not in spec:
            return encoded.encode()
        # The bytes json.dumps would give with an "ecrconfPadding" member of x's, without encoding megabytes.
        head = encoded[:-1] + (", " if encoded != "{}" else "") + '"ecrconfPadding": "'
        return head.encode() + b"x" * (spec["body_size"] - len(head) - 2) + b'"}'

    def _filled(self, value):
        if isinstance(value, dict):
            return {k: self._filled(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._filled(v) for v in value]
        if isinstance(value, str):
            if "${existing}" in value:
                value = value.replace("${existing}", self._existing_repository())
            return value.replace("${repository}", self.absent)
        return value

    def _existing_repository(self) -> str:
        if self._existing is None:
            self._existing = self.resources.repository().name
        return self._existing

    # --- judging ---------------------------------------------------------------------------------

    def supported(self) -> Probe:
        """This probe, once the target has shown that it implements the operation the cases alter."""
        if self._valid is None:
            self._valid = self.client.call(OPERATION, self._filled(VALID_PAYLOAD))
        checks.responded(self._valid)
        if protocol.not_implemented(self._valid):
            raise checks.OperationUnsupported(self._valid)
        return self

    def valid_answer(self) -> str:
        """The error type the target gives the valid request, which must be RepositoryNotFoundException:
        a ConformanceFailure otherwise, since no alteration of that request can then be judged."""
        self.supported()
        if protocol.error_type(self._valid) != VALID_ANSWER:
            raise ConformanceFailure(
                f"the valid request for a repository that does not exist was not answered {VALID_ANSWER}, "
                "so no alteration of it can be judged", received=_answer(self._valid), expected=VALID_ANSWER,
                exchange=self._valid)
        return VALID_ANSWER

    def answered_as_valid(self, exchange: Exchange) -> bool:
        return answered_as(exchange, self.valid_answer())

    def judge(self, case: Case, exchange: Exchange, item: pytest.Item) -> None:
        """Hold the answer to the case: strictly, then precisely (advisory if --evidence is stricter)."""
        strictest = item.config.option.evidence
        for expectation in filter(None, (case.expect, case.precisely)):
            try:
                # Only a refusal is judged against the valid request's answer; framing stands alone.
                hold(expectation, exchange, self.valid_answer() if expectation.refused else VALID_ANSWER)
            except ConformanceFailure as failure:
                failure.add_note(f"case {case.table}/{case.id}: {case.requirement}\n"
                                 f"evidence: {expectation.level}: {expectation.source}")
                if evidence.advisory(expectation.level, strictest):
                    # pytest reads xfail marks added while the test runs: the failure is reported, not gating.
                    item.add_marker(evidence.advisory_mark(expectation.level, strictest))
                raise


def answered_as(exchange: Exchange, valid_answer: str) -> bool:
    """Whether the target answered as it answers the valid request: it did not see the alteration."""
    return exchange.response is not None and protocol.error_type(exchange) == valid_answer


def hold(expect: Expectation, exchange: Exchange, valid_answer: str) -> None:
    """Raise ConformanceFailure (or TargetUnresponsive) unless the answer meets the expectation."""
    if exchange.response is None and expect.closes_connection and exchange.transport_error.startswith(DROPPED):
        return
    checks.responded(exchange)
    if not _status_allowed(expect.status, exchange.status):
        raise ConformanceFailure(f"{_answer(exchange)} where {_statuses(expect.status)} was due",
                                 received=_answer(exchange), expected=_statuses(expect.status), exchange=exchange)
    if expect.refused and answered_as(exchange, valid_answer):
        raise ConformanceFailure(f"answered as the valid request is ({valid_answer}): the alteration was not refused",
                                 received=_answer(exchange), expected="a refusal", exchange=exchange)
    if expect.error:
        # Not checks.failed_with: an UnknownOperationException here is an answer to judge, not a
        # sign that the operation is unsupported (valid_answer showed that it is implemented).
        error = checks.well_formed_error(exchange)
        if expect.error != "any" and error not in expect.error:
            allowed = " or ".join(expect.error)
            raise ConformanceFailure(f"expected {allowed}, got {error}", received=_answer(exchange),
                                     expected=allowed, exchange=exchange)
    if expect.message:
        text = protocol.error_message(exchange)
        prefix = expect.message if isinstance(expect.message, str) else ""
        if not text or not text.startswith(prefix):
            raise ConformanceFailure("error message missing or not as ECR words it", received=repr(text),
                                     expected=f"a message starting {prefix!r}" if prefix else "a message",
                                     exchange=exchange)
    if expect.content_type:
        checks.json_content_type(exchange)
    if expect.request_id and not exchange.response.header("x-amzn-requestid"):
        raise ConformanceFailure("answer carries no request id", received=_answer(exchange),
                                 expected="an x-amzn-RequestId header", exchange=exchange)


def _status_allowed(allowed: tuple[int, ...] | str | None, status: int) -> bool:
    if isinstance(allowed, str):
        low, high = STATUS_CLASSES[allowed][1]
        return low <= status <= high
    return allowed is None or status in allowed


def _statuses(allowed: tuple[int, ...] | str) -> str:
    if isinstance(allowed, str):
        return STATUS_CLASSES[allowed][0]
    return " or ".join(f"HTTP {s}" for s in allowed)


def _answer(exchange: Exchange) -> str:
    kind = protocol.error_type(exchange)
    media = protocol.media_type(exchange) or "no Content-Type"
    return f"HTTP {exchange.status} ({media}){f' {kind}' if kind else ''}"
