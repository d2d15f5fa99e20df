"""Pages of a list answer: maxResults and an opaque nextToken (ops N.1, N.2, N.5, N.6).

A page holds at most maxResults items (default 100, N.2), fewer under the variant knob
``page_size_cap``; the last page has no nextToken; a nextToken the reference did not make is an
InvalidParameterException (N.5). A token holds where the next page starts and names the items of the
page it follows, so the next page starts after the last of them still listed: paging visits every item
once and ends, also when items are deleted between two pages (the stateful suite deletes an image there).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json

from selftest.reference.behaviour import Behaviour
from selftest.reference.errors import constraint_texts, error, invalid_parameter

DEFAULT_PAGE = 100  # N.2: "returns up to 100 results and a nextToken value, if applicable"
_PREFIX = "offset:"


def page(items: list, request: dict, behaviour: Behaviour, default_size: int = DEFAULT_PAGE) -> tuple[list, dict]:
    """The items of the requested page, and {"nextToken": ...} when more follow (else {}).

    items is the whole list in its stable order; the knob reverse_list_order serves it backwards.
    Raises InvalidParameterException (at 'nextToken') for a token that is not one of ours."""
    if behaviour.reverse_list_order:
        items = items[::-1]
    start = _start(items, request["nextToken"], behaviour) if "nextToken" in request else 0
    size = default_size if behaviour.page_size_ignored else request.get("maxResults", default_size)
    if behaviour.page_size_cap is not None:
        size = min(size, behaviour.page_size_cap)
    end = start + size
    following = _following(end, len(items), behaviour)
    if following is None:
        return items[start:end], {}
    served = [_identity(item) for item in items[start:end]]
    return items[start:end], {"nextToken": _token(following, following - min(end, len(items)), served,
                                                  behaviour.token_format)}


def _identity(item: object) -> str:
    """A short name of a listed item that stays the same while the item is listed: its digest or name, else
    its JSON."""
    name = getattr(item, "digest", None) or getattr(item, "name", None)
    text = name if isinstance(name, str) else json.dumps(item, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _start(items: list, token: str, behaviour: Behaviour) -> int:
    """Where the page a token asks for starts: after the last item of the page before that is still listed
    (shifted as that page's token was); when none is, where that page started (its items are gone)."""
    following, delta, served = _offset(token, behaviour)
    if not served:
        return following
    positions = [i for i, item in enumerate(items) if _identity(item) in served]
    return max(0, (positions[-1] + 1 if positions else following - delta - len(served)) + delta)


def _following(end: int, total: int, behaviour: Behaviour) -> int | None:
    """Where the page after one ending at end starts; None after the last page (the pagination breakage
    knobs change this)."""
    if end < total:
        return max(0, end + behaviour.next_page_shift)
    if behaviour.cycling_pages and total:
        return 0
    return end if behaviour.endless_pages else None


def refuse_paging_with(request: dict, listed: str) -> None:
    """nextToken or maxResults together with an explicit list (repositoryNames, imageIds, ...) is refused:
    the model says they "cannot be used" together (R.9, N.6); the error's text is not captured (INF)."""
    for member in ("maxResults", "nextToken"):
        if member in request and listed in request:
            raise error("paging-with-list", member=member, listed=listed)


def _token(offset: int, delta: int, served: list[str], token_format: str) -> str:
    text = f"{_PREFIX}{offset}:{delta}:{','.join(served)}".encode()
    return base64.urlsafe_b64encode(text).decode() if token_format == "base64" else text.hex()


def _offset(token: str, behaviour: Behaviour) -> tuple[int, int, set[str]]:
    """(the offset, how far it was shifted from the end of its page, the identities of that page's items)."""
    try:
        raw = base64.urlsafe_b64decode(token.encode()) if behaviour.token_format == "base64" else bytes.fromhex(token)
        kind, number, delta, served = raw.decode().split(":")
        if kind + ":" == _PREFIX and number.isdigit() and number.isascii():
            return int(number), int(delta), set(filter(None, served.split(",")))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        pass
    if behaviour.garbled_token_restarts:
        return 0, 0, set()
    raise invalid_parameter("nextToken", constraint_texts()["next-token"])
