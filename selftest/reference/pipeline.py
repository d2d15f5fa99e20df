"""One request in, one answer out, checked in Coral's order (research 2.10): method and content
type, body, target, signature; then the input against the model; then the operation itself."""

from __future__ import annotations

import copy
import json
import logging
import threading
import time
import traceback
from collections.abc import Callable, Collection, Mapping
from datetime import datetime, timezone

from ecrconf.spec import schemas
from selftest.reference import envelope, sigv4, validation
from selftest.reference.answers import without_empty_optionals
from selftest.reference.behaviour import Behaviour
from selftest.reference.envelope import Reply
from selftest.reference.errors import EcrError, error, invalid_parameter
from selftest.reference.operations import HANDLERS, Context
from selftest.reference.registry import Store
from selftest.reference.sigv4 import KeyPair, Received

log = logging.getLogger(__name__)
_OMITTED = object()


class Pipeline:
    def __init__(self, behaviour: Behaviour, keys: KeyPair, region: str, account_id: str,
                 clock: Callable[[], float] = time.time):
        self.behaviour = behaviour
        self.keys = keys
        self.region = region
        self.clock = clock
        self.context = Context(Store(account_id), behaviour, region, clock)
        self.prefix = schemas.source()["targetPrefix"] + "."
        self.faults: list[str] = []  # tracebacks of the reference's own bugs, answered as ServerException
        self.received = 0  # requests handled
        self.throttled = 0  # of those, answered ThrottlingException (Behaviour.throttle_every)
        self._counting = threading.Lock()

    def handle(self, received: Received) -> Reply:
        if self._throttles():
            return envelope.failure(error("throttling"), self.behaviour, None)
        try:
            return envelope.success(self._answer(received), self.behaviour)
        except EcrError as problem:
            target = received.header("X-Amz-Target") or ""
            operation = target[len(self.prefix):] if target.startswith(self.prefix) else None
            return envelope.failure(problem, self.behaviour, operation)
        except Exception:
            log.exception("reference endpoint: unexpected failure")
            self.faults.append(traceback.format_exc())
            return envelope.failure(error("internal"), self.behaviour)

    def _throttles(self) -> bool:
        """Count the request; whether it is one Behaviour.throttle_every says to throttle."""
        with self._counting:
            self.received += 1
            every = self.behaviour.throttle_every
            if every is None or self.received % every:
                return False
            self.throttled += 1
            return True

    def _answer(self, received: Received) -> dict:
        behaviour = self.behaviour
        if behaviour.max_body_bytes is not None and len(received.body) > behaviour.max_body_bytes:
            raise error("request-too-large")
        content_type = (received.header("Content-Type") or "").split(";", 1)[0].strip().lower()
        if ((behaviour.refuse_non_post and received.method != "POST")
                or (behaviour.refuse_other_content_types and content_type != envelope.CONTENT_TYPE)):
            raise error("not-json-post")
        document = {} if behaviour.empty_body_is_no_input and not received.body else _parse(received.body)
        operation = self._operation(received.header("X-Amz-Target"))
        now = datetime.fromtimestamp(self.clock(), timezone.utc)
        sigv4.verify(received, self.keys, self.region, now, behaviour)
        request = validation.validated(operation, self._broken_reading(operation, document),
                                       behaviour.input_constraints, behaviour.skipped_rules)
        with self.context.store.lock:
            # A copy taken under the lock: answers may hold the state's own lists and dicts.
            try:
                answer = copy.deepcopy(HANDLERS[operation](self.context, request))
            except EcrError as problem:
                if operation in behaviour.not_found_answered_empty and problem.type.endswith("NotFoundException"):
                    return {}
                raise
        if behaviour.omit_optional_members:
            answer = without_empty_optionals(answer, schemas.output_schema(operation))
        return _altered(answer, operation, behaviour.answer_members, behaviour.answer_omits)

    def _operation(self, target: str | None) -> str:
        if not self.behaviour.match_target_prefix and target:
            operation = target.rsplit(".", 1)[-1]
        else:
            operation = target[len(self.prefix):] if target and target.startswith(self.prefix) else None
        if operation not in HANDLERS or operation in self.behaviour.unimplemented_operations:
            raise error("unknown-operation")
        return operation

    def _broken_reading(self, operation: str, document: dict) -> dict:
        """The request as the breakages reject_unknown_members and coerce_scalars read it."""
        members = schemas.input_schema(operation).get("properties", {})
        if self.behaviour.reject_unknown_members:
            unknown = sorted(set(document) - set(members))
            if unknown:
                raise invalid_parameter(unknown[0], "Member must not be present")
        if self.behaviour.coerce_scalars:
            return {name: str(value) if members.get(name, {}).get("type") == "string"
                    and isinstance(value, (int, float, dict)) else value for name, value in document.items()}
        return document


def _altered(answer: dict, operation: str, members: Mapping[str, object], omitted: Collection[str]) -> dict:
    """The answer as the breakages answer_members and answer_omits alter it ("Operation.member.path")."""
    changes = [(key.split(".")[1:], members.get(key, _OMITTED))
               for key in [*members, *omitted] if key.split(".")[0] == operation]
    if not changes:
        return answer
    answer = copy.deepcopy(answer)
    for (*parents, last), value in changes:
        target = answer
        for name in parents:
            target = target.setdefault(name, {})
        if value is _OMITTED:
            target.pop(last, None)
        else:
            target[last] = value
    return answer


def _parse(body: bytes) -> dict:
    try:
        document = json.loads(body.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError):
        raise error("unparseable-body") from None
    validation.require_object(document)
    return document


def _no_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")
