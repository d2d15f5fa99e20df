"""Pages of a list answer: maxResults and an opaque nextToken (ops N.1, N.2, N.5, N.6).

A page holds at most maxResults items (default 100, N.2), fewer under the variant knob
``page_size_cap``; the last page has no nextToken; a nextToken the reference did not make is an
InvalidParameterException (N.5).

A token is a cursor: it names the place of the last item its page gave in the list's stable order (for
repositories and images, the order they were created in), and the next page starts after that place,
whatever was deleted or added meanwhile. So an item present for the whole walk is on exactly one page even
when others are deleted between pages (inferred: N.2 promises only an opaque token; a list that repeats or
loses items when another is deleted would break every paginating client). A list that gives no places is
placed by index, which makes its cursor an offset. The breakage knob ``offset_tokens`` makes every token
the offset of the next page instead.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence

from selftest.reference.behaviour import Behaviour
from selftest.reference.errors import constraint_texts, error, invalid_parameter

DEFAULT_PAGE = 100  # N.2: "returns up to 100 results and a nextToken value, if applicable"
_OFFSET = "offset"  # offset_tokens: "offset:<index of the next page's first item>"
_AFTER = "after"  # cursors: "after:[<place of the last item given, or null>, <items to pass beyond it>]"

Place = tuple  # of ints and strings, compared as tuples


def page(items: list, request: dict, behaviour: Behaviour, default_size: int = DEFAULT_PAGE,
         place: Callable[[object], Place] | None = None) -> tuple[list, dict]:
    """The items of the requested page, and {"nextToken": ...} when more follow (else {}).

    items is the whole list in its stable order; place gives an item's place in that order (a tuple,
    increasing along items; None places items by index). The knob reverse_list_order serves the list
    backwards (places then decrease). Raises InvalidParameterException (at 'nextToken') for a token that
    is not one of ours."""
    places = [place(item) for item in items] if place is not None else None
    if behaviour.reverse_list_order:
        items = items[::-1]
        places = places[::-1] if places is not None else None
    descending = behaviour.reverse_list_order and places is not None
    if places is None:
        places = [(index,) for index in range(len(items))]
    if places != sorted(places, reverse=descending):
        raise AssertionError(f"the reference lists items out of their order: {places}")
    start = _start(request["nextToken"], places, descending, behaviour) if "nextToken" in request else 0
    size = default_size if behaviour.page_size_ignored else request.get("maxResults", default_size)
    if behaviour.page_size_cap is not None:
        size = min(size, behaviour.page_size_cap)
    end = start + size
    following = _following(end, len(items), behaviour)
    token = None if following is None else _token(following, places, behaviour)
    return items[start:end], {} if token is None else {"nextToken": token}


def _following(end: int, total: int, behaviour: Behaviour) -> int | None:
    """Where the page after one ending at end starts, as an index; None after the last page (the
    pagination breakage knobs change this)."""
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


def _token(following: int, places: Sequence[Place], behaviour: Behaviour) -> str:
    """The token of the page starting at index following: its offset (offset_tokens), or the place of the
    item before it, and how far beyond the last item it starts (only past the end, endless_pages)."""
    if behaviour.offset_tokens:
        text = f"{_OFFSET}:{following}"
    else:
        before = min(following, len(places))
        cursor = list(places[before - 1]) if before else None
        text = f"{_AFTER}:" + json.dumps([cursor, following - before], separators=(",", ":"))
    raw = text.encode()
    return base64.urlsafe_b64encode(raw).decode() if behaviour.token_format == "base64" else raw.hex()


def _start(token: str, places: Sequence[Place], descending: bool, behaviour: Behaviour) -> int:
    """The index the page a token names starts at; InvalidParameterException for a token not of ours (the
    first page's index under garbled_token_restarts)."""
    try:
        raw = base64.urlsafe_b64decode(token.encode()) if behaviour.token_format == "base64" else bytes.fromhex(token)
        kind, _, rest = raw.decode().partition(":")
        if behaviour.offset_tokens and kind == _OFFSET and rest.isdigit() and rest.isascii():
            return int(rest)
        if not behaviour.offset_tokens and kind == _AFTER:
            return _after(json.loads(rest), places, descending)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        pass
    if behaviour.garbled_token_restarts:
        return 0
    raise invalid_parameter("nextToken", constraint_texts()["next-token"])


def _after(cursor: object, places: Sequence[Place], descending: bool) -> int:
    """The index after the items placed at or before the cursor's place, plus its items beyond; ValueError
    or TypeError when the cursor is not one _token makes."""
    if not (isinstance(cursor, list) and len(cursor) == 2 and isinstance(cursor[0], (list, type(None)))
            and type(cursor[1]) is int and cursor[1] >= 0):
        raise ValueError(f"not a cursor: {cursor!r}")
    last, beyond = cursor
    if last is None:
        return beyond
    last = tuple(last)
    passed = sum(1 for p in places if (p >= last if descending else p <= last))  # TypeError: places of another list
    return passed + beyond
