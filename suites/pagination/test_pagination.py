"""Every paginated operation of the model (its paginators, schemas/paginators.json), walked page by page.

What each operation lists, what names an item and the maxResults asked are in fixtures/pagination.toml.
For each operation one walk (made once per worker and shared by its checks) asks for small pages and
follows nextToken: no page may hold more than asked, the walk must end, every item the run made must be
on exactly one page, and a garbled nextToken must be refused. The bounds of maxResults are the
validation family's (suites/operations: maxResults too small and too large, for every operation).

The run lists only what it can make in repositories of its own: images, a lifecycle policy preview, a
scan. Lists of the whole registry (repositories, pull-through cache rules, creation templates,
backfills) are walked as they are, up to a bound of pages; past it, what needs the end is not judged.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

from ecrconf import checks
from ecrconf.checks import paging
from ecrconf.generate import listings
from ecrconf.generate.listings import IMAGES, Listing
from ecrconf.resources import OperationNotImplemented, SetupFailed
from ecrconf.resources.world import account_wide_skip
from ecrconf.spec import evidence
from ecrconf.wire import protocol

# A list of unknown length (the whole registry's) is walked up to this many pages: past it, whether it
# ends and whether the run's own items are on it once are not judged (a real account may list thousands).
MOST_PAGES = 500
# Pages a list of n items may take: one item a page (a target may give fewer than asked, ops N.2), and one
# more, empty, to say it has ended.
EXTRA_PAGES = 1
# A lifecycle policy that expires every image but the newest: the preview lists IMAGES - 1 of them.
PREVIEW_POLICY = ('{"rules": [{"rulePriority": 1, "description": "ecrconf: keep only the newest image", '
                  '"selection": {"tagStatus": "any", "countType": "imageCountMoreThan", "countNumber": 1}, '
                  '"action": {"type": "expire"}}]}')
# A garbled token: this mark, then a token the target gave, reversed (or STAND_IN, when it gave none).
GARBLED_MARK = "ecrconf-garbled-"
STAND_IN = "ZWNyY29uZg"  # base64 of "ecrconf", without its padding
FINISHED_SCANS = ("COMPLETE", "FAILED")
# Lists whose items the run does not make, and why: whether each is on one page is not judged for them.
NOT_MADE = {"findings": "the run cannot make scan findings: its images have no known vulnerabilities",
            "registry": "the run makes none of these: they are state of the whole registry, which the run does "
                        "not change",
            "backfill": "the run makes no replication backfill: it needs state of the whole registry"}


@dataclass(frozen=True)
class Subject:
    """What one operation lists for the run: the request without paging members, the items the run made
    (dicts of identity members; None when it makes none, NOT_MADE), how many of them a complete walk
    leaves out, and how many pages the list may take (None: unknown, the whole registry's)."""

    request: dict
    own: tuple[dict, ...] | None
    left_out: int = 0
    most_pages: int | None = None
    account_wide: bool = False


def _param(listing: Listing, level: str, source: str):
    return pytest.param(listing.operation, id=listing.operation,
                        marks=[pytest.mark.operation(listing.operation), pytest.mark.evidence(level, source)])


def _params(citation: str, source: str) -> list:
    return [_param(listing, evidence.level_of(citation), f"{citation}: {source}")
            for listing in listings.listings().values()]


@contextmanager
def needed_by(operation: str):
    """A setup call of another operation that the target answered with an error makes the check
    unsupported, naming that operation (its own checks judge the answer); no answer stays an error."""
    try:
        yield
    except SetupFailed as failed:
        needed = failed.exchange
        if needed is None or needed.operation == operation:
            raise
        answer = " ".join(filter(None, (f"HTTP {needed.status}", protocol.error_type(needed))))
        raise OperationNotImplemented(f"unsupported: {operation} needs {needed.operation}, which the target did "
                                      f"not carry out ({answer})", needed.operation, needed) from None


class Lists:
    """What the run lists, made on first use and kept for the module (listing changes nothing), and one
    walk per operation."""

    def __init__(self, client, resources, scan_timeout: float):
        self._client, self._resources, self._timeout = client, resources, scan_timeout
        self._made: dict[str, object] = {}
        self._walks: dict[str, paging.Walk] = {}

    def subject(self, listing: Listing) -> Subject:
        with needed_by(listing.operation):
            return getattr(self, f"_{listing.lists}")()

    def walk(self, listing: Listing, *, again: bool = False) -> tuple[Subject, paging.Walk]:
        """The operation's walk (again: a new one), with its subject."""
        subject = self.subject(listing)
        if again or listing.operation not in self._walks:
            self._walks[listing.operation] = walk(self._client, listing, subject)
        return subject, self._walks[listing.operation]

    def _once(self, key: str, make):
        if key not in self._made:
            self._made[key] = make()
        return self._made[key]

    def _images(self) -> Subject:
        def make():
            repository = self._resources.repository()
            pushed = [self._resources.fresh_image(repository, tag=f"page-{n}") for n in range(1, IMAGES + 1)]
            return Subject({"repositoryName": repository.name},
                           tuple({"imageDigest": p.digest, "imageTag": p.tag} for p in pushed),
                           most_pages=IMAGES + EXTRA_PAGES)
        return self._once("images", make)

    def _preview(self) -> Subject:
        def make():
            images = self._images()
            request = dict(images.request)
            self._resources.call("StartLifecyclePolicyPreview", {**request, "lifecyclePolicyText": PREVIEW_POLICY})
            self._until("GetLifecyclePolicyPreview", request, "status", ("COMPLETE",))
            return Subject(request, images.own, left_out=1, most_pages=IMAGES + EXTRA_PAGES)
        return self._once("preview", make)

    def _findings(self) -> Subject:
        def make():
            pushed = self._resources.fresh_image()
            request = {"repositoryName": pushed.repository.name, "imageId": {"imageDigest": pushed.digest}}
            self._resources.call("StartImageScan", request)
            self._until("DescribeImageScanFindings", request, "imageScanStatus.status", FINISHED_SCANS)
            return Subject(request, None)
        return self._once("findings", make)

    def _repositories(self) -> Subject:
        def make():
            made = [self._resources.repository() for _ in range(IMAGES)]
            return Subject({}, tuple({"repositoryName": r.name} for r in made), account_wide=True)
        return self._once("repositories", make)

    def _registry(self) -> Subject:
        return Subject({}, None, account_wide=True)

    def _backfill(self) -> Subject:
        account_wide_skip("backfill")

    def _until(self, operation: str, request: dict, path: str, finished: tuple[str, ...]) -> None:
        """Ask operation until the member at the dotted path is one of finished; SetupFailed (no verdict)
        when it is not within --scan-timeout, or the call fails."""
        deadline = time.monotonic() + self._timeout
        while True:
            value = self._resources.call(operation, request)
            for key in path.split("."):
                value = value.get(key) if isinstance(value, dict) else None
            if value in finished:
                return
            if time.monotonic() > deadline:
                raise SetupFailed(f"{operation}: {path} is {value!r} after {self._timeout} s, not one of "
                                  f"{', '.join(finished)}")
            time.sleep(min(5.0, self._timeout / 20))


def walk(client, listing: Listing, subject: Subject) -> paging.Walk:
    """Pages of at most listing.max_results, following the next token until a page has none, a token
    comes back, or the subject's bound of pages (MOST_PAGES for a list of unknown length)."""
    paginator = listing.paginator
    pages: list[paging.Page] = []
    token, given = None, set()
    while len(pages) < (subject.most_pages or MOST_PAGES):
        request = {**subject.request, paginator.limit_key: listing.max_results}
        if token is not None:
            request[paginator.input_token] = token
        exchange = client.call(listing.operation, request)
        body = checks.succeeded(exchange)
        token = paginator.next_token(body)
        pages.append(paging.Page(exchange, tuple(paginator.items(body)), token))
        if token is None or token in given:
            break
        given.add(token)
    return paging.Walk(tuple(pages), listing.max_results)


@pytest.fixture(scope="module")
def lists(client, resources, scan_timeout) -> Lists:
    return Lists(client, resources, scan_timeout)


def _unended(subject: Subject, walk: paging.Walk) -> bool:
    """Whether a walk of a list of unknown length stopped at the bound, neither ended nor cycling."""
    return subject.most_pages is None and not walk.ended and walk.repeated_token() is None


@pytest.mark.parametrize("operation", _params("ops N.2", "a page holds up to maxResults items"))
def test_page_holds_at_most_max_results(lists, operation):
    """No page MUST hold more items than maxResults asked for."""
    _, walked = lists.walk(listings.listing(operation))
    paging.pages_within_limit(walked)


@pytest.mark.parametrize("operation", _params("ops N.2", "the last page has no nextToken"))
def test_next_token_ends(lists, operation):
    """Following nextToken MUST end: a last page without one, and no token given twice."""
    subject, walked = lists.walk(listings.listing(operation))
    if _unended(subject, walked):
        pytest.skip(f"not judged: the list is longer than the walk's bound ({MOST_PAGES} pages)")
    paging.ends(walked, subject.most_pages or MOST_PAGES)


@pytest.mark.parametrize("operation", _params(
    "model; ops N.1", "with nextToken, pagination continues from the end of the previous results"))
def test_every_item_is_on_one_page(lists, operation):
    """Each item the run made MUST be on exactly one page of a walk: none repeated, none skipped."""
    listing = listings.listing(operation)
    if listing.lists in NOT_MADE:
        pytest.skip(f"not judged: {NOT_MADE[listing.lists]}")
    subject, walked = lists.walk(listing)
    if _unended(subject, walked):
        pytest.skip(f"not judged: the list is longer than the walk's bound ({MOST_PAGES} pages)")
    expected = {listing.identify(item) for item in subject.own}
    for attempt in ("first", "again"):
        try:
            paging.none_repeated(walked, expected, listing.identify)
            if not walked.ended:
                pytest.skip("not judged whether an item is missing: the walk did not end (test_next_token_ends)")
            paging.none_missing(walked, expected, listing.identify, left_out=subject.left_out)
            return
        except checks.ConformanceFailure:
            if attempt == "again" or not subject.account_wide:
                raise
        # Others (another worker, another user) may create or delete items of the whole registry during
        # the walk, which moves items across page boundaries when a target pages by position: a second
        # walk must show the fault too.
        subject, walked = lists.walk(listing, again=True)


@pytest.mark.parametrize("operation", _params("ops N.5", "a malformed nextToken is InvalidParameterException"))
def test_garbled_next_token_is_refused(client, lists, operation):
    """A nextToken the target never gave (a garbled one) MUST be refused with InvalidParameterException."""
    listing = listings.listing(operation)
    subject, walked = lists.walk(listing)
    genuine = walked.pages[0].token or STAND_IN
    paginator = listing.paginator
    request = {**subject.request, paginator.limit_key: listing.max_results,
               paginator.input_token: GARBLED_MARK + genuine[::-1]}
    checks.failed_with(client.call(operation, request), {"InvalidParameterException"})
