"""awsJson1_1 answers on the wire: status, headers and JSON body, spelled as the Behaviour says."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

from ecrconf.spec import schemas
from selftest.reference.behaviour import JSON_11, Behaviour
from selftest.reference.errors import EcrError

CONTENT_TYPE = JSON_11
NAMESPACE = "com.amazonaws.ecr"
CORAL_SUFFIX = "http://internal.amazon.com/coral/com.amazon.coral.service/"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def success(document: dict, behaviour: Behaviour) -> Reply:
    return _reply(200, document, behaviour)


def failure(problem: EcrError, behaviour: Behaviour, operation: str | None = None) -> Reply:
    """The error answer; operation (None: not known) decides where modelled_error_types applies."""
    name = behaviour.error_types.get(problem.type, problem.type)
    renamed = behaviour.modelled_error_types.get(name)
    if renamed and operation in schemas.operations() and renamed in schemas.modelled_errors(operation):
        name = renamed
    spelled = error_type(name, behaviour)
    document = {behaviour.error_type_key: spelled} if behaviour.error_type_in_body else {}
    document.update(problem.members)
    if problem.message is not None and behaviour.error_messages:
        document[behaviour.message_key] = problem.message
    extra = (("X-Amzn-ErrorType", spelled),) if behaviour.error_type_header else ()
    status = behaviour.error_statuses.get(problem.type, problem.status)
    return _reply(status, document, behaviour, extra)


def error_type(name: str, behaviour: Behaviour) -> str:
    return {"plain": name, "namespaced": f"{NAMESPACE}#{name}",
            "suffixed": f"{name}:{CORAL_SUFFIX}"}[behaviour.error_type_style]


def request_id(behaviour: Behaviour) -> str | None:
    return {"uuid4": lambda: str(uuid.uuid4()), "uuid1": lambda: str(uuid.uuid1()),
            "absent": lambda: None}[behaviour.request_id_style]()


def _reply(status: int, document: dict, behaviour: Behaviour, extra: tuple = ()) -> Reply:
    document = {**document, **behaviour.extra_members}
    separators = None if behaviour.json_indent is not None else (",", ":")
    body = json.dumps(document, indent=behaviour.json_indent, sort_keys=behaviour.json_sort_keys,
                      separators=separators).encode()
    headers = [("Content-Type", behaviour.response_content_type)]
    rid = request_id(behaviour)
    if rid is not None:
        headers.append((behaviour.request_id_header, rid))
    return Reply(status, tuple(headers) + extra, body)
