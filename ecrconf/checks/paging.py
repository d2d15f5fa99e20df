"""Checks over the pages of one walk of a paginated list (ops N.1, N.2, N.5): plain functions over the
pages a walk received, each raising ``ConformanceFailure`` at the first page that deviates.

A walk asks for pages of at most ``limit`` items, following the next token from page to page
(``ecrconf.spec.paginators``), and stops when a page has no next token, when a token comes back a second
time, when pages stop bringing new items (``Walk.stalled``), or at a bound of pages the caller sets.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ecrconf.checks import ConformanceFailure
from ecrconf.wire.exchange import Exchange


def item_key(item: object) -> str:
    """An item as a hashable value: its canonical JSON."""
    return json.dumps(item, sort_keys=True, default=str)


@dataclass(frozen=True)
class Page:
    exchange: Exchange
    items: tuple  # the items of the page, from every result key
    token: str | None  # the next token it gave; None on the last page


@dataclass(frozen=True)
class Walk:
    pages: tuple[Page, ...]
    limit: int  # the maxResults every page was asked with

    @property
    def ended(self) -> bool:
        """Whether the last page received gave no next token."""
        return bool(self.pages) and self.pages[-1].token is None

    def stalled(self, pages: int) -> bool:
        """Whether the last `pages` pages each gave a next token and no item that no earlier page had:
        following the tokens goes on without getting anywhere."""
        if len(self.pages) < pages:
            return False
        seen, fresh = set(), []
        for page in self.pages:
            names = {item_key(item) for item in page.items}
            fresh.append(bool(names - seen))
            seen |= names
        return all(page.token is not None for page in self.pages[-pages:]) and not any(fresh[-pages:])

    def repeated_token(self) -> int | None:
        """The index of the first page that gave a next token an earlier page gave; None if none did."""
        seen = set()
        for index, page in enumerate(self.pages):
            if page.token is not None and page.token in seen:
                return index
            seen.add(page.token)
        return None


def pages_within_limit(walk: Walk) -> None:
    """Every page holds at most the maxResults asked (ops N.2: "up to")."""
    for number, page in enumerate(walk.pages, 1):
        if len(page.items) > walk.limit:
            raise ConformanceFailure(f"page {number} holds more items than maxResults asked",
                                     received=f"{len(page.items)} items", expected=f"at most {walk.limit}",
                                     exchange=page.exchange)


def ends(walk: Walk, most_pages: int, stall: int | None = None) -> None:
    """Following the next token ends: no token comes back a second time, a list the caller knows to need
    at most most_pages pages has no next token after them (ops N.2: the last page has none), and, when
    stall is given, no `stall` pages in a row bring nothing new yet give a next token."""
    if stall is not None and walk.stalled(stall):
        page = walk.pages[-1]
        raise ConformanceFailure("following nextToken does not end",
                                 received=f"{stall} pages in a row with no item not listed before, each with a "
                                          "nextToken", expected="no nextToken on the last page", exchange=page.exchange)
    again = walk.repeated_token()
    if again is not None:
        page = walk.pages[again]
        raise ConformanceFailure(f"page {again + 1} gives a nextToken an earlier page gave: following it cycles",
                                 received=f"nextToken {page.token!r} again",
                                 expected="a token not given before, or none on the last page",
                                 exchange=page.exchange)
    if not walk.ended and len(walk.pages) >= most_pages:
        page = walk.pages[-1]
        items = sum(len(p.items) for p in walk.pages)
        raise ConformanceFailure("following nextToken does not end",
                                 received=f"a nextToken still after {len(walk.pages)} pages ({items} items in all)",
                                 expected=f"no nextToken after at most {most_pages} pages of at most {walk.limit}",
                                 exchange=page.exchange)


def none_repeated(walk: Walk, expected: Iterable[tuple], identity: Callable[[object], tuple]) -> None:
    """No expected item (by its identity) is on more than one page, or twice on one (the model: pagination
    "continues from the end of the previous results")."""
    wanted = set(expected)
    counts: Counter = Counter()
    for number, page in enumerate(walk.pages, 1):
        for item in page.items:
            name = identity(item)
            counts[name] += 1
            if name in wanted and counts[name] > 1:
                raise ConformanceFailure(f"an item is listed again on page {number}",
                                         received=f"{_show(name)} listed {counts[name]} times",
                                         expected="each item once", exchange=page.exchange)


def none_missing(walk: Walk, expected: Iterable[tuple], identity: Callable[[object], tuple], *,
                 left_out: int = 0) -> None:
    """All the expected items (by their identities) but left_out of them are on the pages of a walk that
    ended: none skipped. left_out: how many of them the list rightly leaves out, whichever they are."""
    wanted = set(expected)
    listed = {identity(item) for page in walk.pages for item in page.items} & wanted
    if len(listed) < len(wanted) - left_out:
        missing = sorted(wanted - listed, key=repr)
        but = f" (but {left_out} of them)" if left_out else ""
        raise ConformanceFailure("an item is on no page: the walk skipped it",
                                 received=f"{len(listed)} of {len(wanted)} items listed; not "
                                          f"{', '.join(map(_show, missing))}",
                                 expected=f"every item{but} on one of the {len(walk.pages)} pages",
                                 exchange=walk.pages[-1].exchange if walk.pages else None)


def _show(identity: tuple) -> str:
    return "/".join(str(part) for part in identity if part is not None)
