"""Pages of a list answer: maxResults and an opaque nextToken."""

from __future__ import annotations

import base64
import binascii

from selftest.reference.errors import constraint_texts, invalid_parameter


def page(items: list, request: dict, default_size: int) -> tuple[list, dict]:
    """The items of the requested page, and {"nextToken": ...} when more follow (else {})."""
    start = _offset(request["nextToken"]) if "nextToken" in request else 0
    end = start + request.get("maxResults", default_size)
    more = {"nextToken": _token(end)} if end < len(items) else {}
    return items[start:end], more


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _offset(token: str) -> int:
    try:
        kind, _, number = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        if kind == "offset" and number.isdigit():
            return int(number)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    raise invalid_parameter("nextToken", constraint_texts()["next-token"])
