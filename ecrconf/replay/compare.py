"""How a replayed answer differs from the recorded one: status, error type, response shape.

Error types are read and normalised as the checks read them (``ecrconf.wire.protocol.error_type``: ``__type``
or ``code`` or ``X-Amzn-ErrorType``, namespace and suffix cut off). The shape of a successful answer is the
set of its members' paths and JSON types (list items merged: ``images[].imageId.imageDigest``); values
are never compared, since ids, dates, digests, tokens and counts differ by nature between two targets. The
shapes of two error answers are not compared either: awsJson1_1 lets an error carry ``message`` or
``Message`` and other members, and the error type says what matters.
"""

from __future__ import annotations

from ecrconf.wire import protocol
from ecrconf.wire.exchange import Exchange


def answer(exchange: Exchange) -> dict:
    """{"status": int | None, "error": str | None} of an exchange (None status: no answer)."""
    return {"status": exchange.status, "error": protocol.error_type(exchange) if exchange.response else None}


def differences(recorded: Exchange, replayed: Exchange) -> list[str]:
    """One line per difference, empty when the answers agree in status, error type and shape."""
    found = []
    was, now = answer(recorded), answer(replayed)
    if was["status"] != now["status"]:
        found.append(f"status: recorded {_shown(was['status'], recorded)}, replayed {_shown(now['status'], replayed)}")
    if was["error"] != now["error"]:
        found.append(f"error type: recorded {was['error']}, replayed {now['error']}")
    if _ok(was["status"]) and _ok(now["status"]):
        found += shape_differences(shape(recorded.body), shape(replayed.body))
    return found


def _ok(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


def _shown(status: int | None, exchange: Exchange) -> str:
    return f"HTTP {status}" if status is not None else f"no answer ({exchange.transport_error})"


def shape(document: object, path: str = "") -> dict[str, str]:
    """{member path: JSON type} of a parsed body; the top level is path "" (absent body: "none")."""
    found = {path or "$": _type(document)}
    if isinstance(document, dict):
        for key, value in document.items():
            found.update(shape(value, f"{path}.{key}" if path else key))
    elif isinstance(document, list):
        for item in document:
            for member, kind in shape(item, f"{path}[]").items():
                found[member] = kind if found.get(member) in (None, kind) else "mixed"
    return found


def _type(value: object) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "array",
            dict: "object"}.get(type(value), "none")


def shape_differences(recorded: dict[str, str], replayed: dict[str, str]) -> list[str]:
    """Members only one answer has, and members of another JSON type, one line each, by path; a member
    inside one already reported (absent, or of another type) is not reported again."""
    lines, reported = [], []
    for path in sorted(set(recorded) | set(replayed)):
        was, now = recorded.get(path), replayed.get(path)
        if was == now or any(path.startswith(top) and path[len(top)] in ".[" for top in reported):
            continue
        reported.append(path)
        if now is None:
            lines.append(f"shape: replayed answer lacks {path} ({was})")
        elif was is None:
            lines.append(f"shape: replayed answer has {path} ({now}), the recorded one not")
        elif was != now:
            lines.append(f"shape: {path} is {now}, recorded {was}")
    return lines
