"""How awsJson1_1 names things on the wire, and how clients read errors back.

Error types are read as Smithy's awsJson1_1 clients read them: from ``__type`` (or ``code``) in the
body, else from the ``X-Amzn-ErrorType`` header; then cut at the first ``:`` and keep what follows
the first ``#``. The message may be ``message`` or ``Message``.
"""

from __future__ import annotations

from ecrconf.spec import schemas
from ecrconf.wire.exchange import Exchange

CONTENT_TYPE = "application/x-amz-json-1.1"
# How targets say "no such operation": AWS (unknown X-Amz-Target), MiniStack, and other emulators.
NOT_IMPLEMENTED = frozenset({"UnknownOperationException", "InvalidAction", "NotImplemented",
                             "NotImplementedException"})

_carried_out: set[tuple[str, str]] = set()  # (endpoint URL, operation) answered with a 2xx in this process


def target_header(operation: str) -> str:
    return f"{schemas.source()['targetPrefix']}.{operation}"


def sanitise(raw: str) -> str:
    name = raw.split(":", 1)[0]
    return name.split("#", 1)[1] if "#" in name else name


def raw_error_type(exchange: Exchange) -> str | None:
    body = exchange.body
    if isinstance(body, dict):
        for key in ("__type", "code"):
            if isinstance(body.get(key), str) and body[key]:
                return body[key]
    if exchange.response is not None:
        return exchange.response.header("x-amzn-errortype")
    return None


def error_type(exchange: Exchange) -> str | None:
    raw = raw_error_type(exchange)
    return sanitise(raw) if raw else None


def error_message(exchange: Exchange) -> str | None:
    body = exchange.body
    if isinstance(body, dict):
        for key in ("message", "Message"):
            if isinstance(body.get(key), str):
                return body[key]
    return None


def media_type(exchange: Exchange) -> str | None:
    """The response's Content-Type without parameters, lower-cased."""
    value = exchange.response.header("content-type") if exchange.response else None
    return value.split(";", 1)[0].strip().lower() if value else None


def note_answer(exchange: Exchange) -> None:
    """Remember that the target carried out exchange's operation, if it answered 2xx (called per request)."""
    if exchange.status is not None and 200 <= exchange.status < 300:
        _carried_out.add((exchange.request.url, exchange.operation))


def not_implemented(exchange: Exchange) -> bool:
    """Whether the target answered that it does not implement the operation at all: 501, or an error type
    of NOT_IMPLEMENTED. Never for an operation it has already carried out in this run: a target cannot
    stop implementing an operation half-way, so that answer is judged like any other."""
    if (exchange.request.url, exchange.operation) in _carried_out:
        return False
    return exchange.status == 501 or error_type(exchange) in NOT_IMPLEMENTED
