"""Every paginated operation of the model (its paginators, schemas/paginators.json), walked page by page.

What each operation lists, what names an item and the maxResults asked are in fixtures/pagination.toml.
For each operation one walk (made once per worker and shared by its checks) asks for small pages and
follows nextToken: no page may hold more than asked, the walk must end, every item the run made must be
on exactly one page, and a garbled nextToken must be refused. The bounds of maxResults are the
validation family's (suites/operations: maxResults too small and too large, for every operation).

The run lists what it makes: images in repositories of its own, a lifecycle policy preview, a scan,
repositories, and pull-through cache rules and creation templates of its own (registry-wide items, deleted
when the module ends; on AWS only with --allow-registry-writes). Lists of unknown length (the whole
registry's repositories, cache rules, templates and backfills; a scan's findings) are walked as they are,
in pages small enough that the run's items span several when the
registry holds few, and large enough that a walk takes about REGISTRY_PAGES pages however many it holds
(counted first, in the largest pages the model allows). Their length is not known for sure (others may
add items meanwhile), so such a walk has not ended when STALL pages in a row bring no new item and still
give a nextToken.
"""

from __future__ import annotations

import json
import math
import time
import uuid
from dataclasses import dataclass

import pytest

from ecrconf import checks
from ecrconf.checks import paging
from ecrconf.generate import listings
from ecrconf.generate.listings import IMAGES, Listing
from ecrconf.resources import SetupFailed, prerequisites, setup_answer
from ecrconf.resources.registry import RegistryHold, RegistryWrites
from ecrconf.wire import interrupts
from ecrconf.spec import evidence, schemas

# Pages a list of the run's n items may take: one item a page (a target may give fewer than asked, ops
# N.2), and one more, empty, to say it has ended.
EXTRA_PAGES = 1
REGISTRY_PAGES = 50  # about how many pages a walk of a list of the whole registry takes
COUNT_PAGES = 100  # the most pages of the count of a list of the whole registry (its largest pages)
STALL = 3  # pages in a row with no new item and a nextToken: a walk of unknown length that does not end
MOST_PAGES = 100_000  # a bound on any walk, whatever its pages bring
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
            "registry": "the run makes none of these to list: they are items of the whole registry, which only "
                        "the checks of their own operations make (and delete)"}


@dataclass(frozen=True)
class Subject:
    """What one operation lists for the run: the request without paging members, the items the run made
    (dicts of identity members; None when it makes none, NOT_MADE), how many of them a complete walk
    leaves out, the maxResults to ask, and how many pages the list may take."""

    request: dict
    own: tuple[dict, ...] | None
    max_results: int
    most_pages: int
    left_out: int = 0
    account_wide: bool = False
    stall: int | None = None  # for a list of unknown length: STALL


def _param(listing: Listing, level: str, source: str):
    return pytest.param(listing.operation, id=listing.operation,
                        marks=[pytest.mark.operation(listing.operation), pytest.mark.evidence(level, source)])


def _params(citation: str, source: str) -> list:
    return [_param(listing, evidence.level_of(citation), f"{citation}: {source}")
            for listing in listings.listings().values()]


class Lists:
    """What the run lists, made on first use and kept for the module (listing changes nothing), and one
    walk per operation."""

    def __init__(self, client, resources, writes: RegistryWrites, scan_timeout: float):
        self._client, self._resources, self._writes, self._timeout = client, resources, writes, scan_timeout
        self._made: dict[str, object] = {}
        self._walks: dict[str, paging.Walk] = {}
        self._undo: list = []  # exchanges that made registry-wide items, deleted by close

    def subject(self, listing: Listing) -> Subject:
        with prerequisites(listing.operation):
            return self._once(listing.operation, lambda: getattr(self, f"_{listing.lists}")(listing))

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

    def _images(self, listing: Listing) -> Subject:
        request, own = self._once("images", self._pushed)
        return Subject(request, own, listing.max_results, IMAGES + EXTRA_PAGES)

    def _preview(self, listing: Listing) -> Subject:
        request, own = self._once("images", self._pushed)
        self._resources.call("StartLifecyclePolicyPreview", {**request, "lifecyclePolicyText": PREVIEW_POLICY})
        self._until("GetLifecyclePolicyPreview", request, "status", ("COMPLETE",))
        return Subject(request, own, listing.max_results, IMAGES + EXTRA_PAGES, left_out=1)

    def _findings(self, listing: Listing) -> Subject:
        pushed = self._resources.fresh_image()
        request = {"repositoryName": pushed.repository.name, "imageId": {"imageDigest": pushed.digest}}
        self._resources.call("StartImageScan", request)
        self._until("DescribeImageScanFindings", request, "imageScanStatus.status", FINISHED_SCANS)
        return self._counted(listing, request, None)

    def _repositories(self, listing: Listing) -> Subject:
        made = [self._resources.repository() for _ in range(IMAGES)]
        return self._counted(listing, {}, tuple({"repositoryName": r.name} for r in made), account_wide=True)

    def _registry(self, listing: Listing) -> Subject:
        return self._counted(listing, {}, None, account_wide=True)

    def _cache_rules(self, listing: Listing) -> Subject:
        own = self._registry_items("cache_rules", "CreatePullThroughCacheRule", lambda n: {
            "ecrRepositoryPrefix": f"ecrconf-{uuid.uuid4().hex[:10]}",  # 2-30 characters: not the run's prefix
            "upstreamRegistryUrl": "public.ecr.aws", "upstreamRegistry": "ecr-public"})
        return self._counted(listing, {}, tuple({"ecrRepositoryPrefix": r["ecrRepositoryPrefix"]} for r in own),
                             account_wide=True)

    def _templates(self, listing: Listing) -> Subject:
        own = self._registry_items("templates", "CreateRepositoryCreationTemplate", lambda n: {
            "prefix": f"{self._resources.prefix}-page-{n}-{uuid.uuid4().hex[:6]}", "appliedFor": ["REPLICATION"]})
        return self._counted(listing, {}, tuple({"prefix": r["prefix"]} for r in own), account_wide=True)

    def _registry_items(self, state: str, operation: str, request) -> list[dict]:
        """IMAGES items of the whole registry, each made by operation with request(n): their requests. They
        are deleted when the module ends (close); on AWS only with --allow-registry-writes."""
        reason = self._writes.refusal(state)
        if reason:
            pytest.skip(reason)
        made = []
        for n in range(1, IMAGES + 1):
            exchange = self._resources.call_kept(operation, request(n), self._undo)
            setup_answer(exchange)
            made.append(json.loads(exchange.request.body))
        return made

    def close(self) -> None:
        """Delete the registry-wide items made for listing (Resources.undo), newest first."""
        for exchange in reversed(self._undo):
            self._resources.undo(exchange)
        self._undo.clear()

    def _backfill(self, listing: Listing) -> Subject:
        """A replication backfill started after the run's images were pushed: they are among its results.
        The replication destination it needs is held alone and put back at once; never on AWS (a backfill
        copies the registry's images to another region)."""
        request, own = self._once("images", self._pushed)
        registry = self._once("registry", lambda: self._resources.repository().registry_id)
        hold = RegistryHold(self._writes)
        hold.hold("replication_destination")
        hold.hold("backfills")
        hold.hold("replication")
        destination = {"region": "us-west-2" if self._client.region != "us-west-2" else "us-east-1",
                       "registryId": registry}
        try:
            self._resources.call("PutReplicationConfiguration",
                                 {"replicationConfiguration": {"rules": [{"destinations": [destination]}]}})
            exchange = self._resources.call_kept("StartReplicationBackfill", {"destination": destination}, self._undo)
            asked = {"replicationBackfillId": setup_answer(exchange).get("replicationBackfillId")}
        finally:
            with interrupts.deferred():  # also when a stop signal ended the try: it must not cut this short
                problems = hold.restore()
        if problems:
            raise SetupFailed("; ".join(problems))
        self._until("DescribeReplicationBackfillResults", asked, "status", ("COMPLETE", "FAILED", "STOPPED"))
        mine = tuple({"repositoryName": request["repositoryName"], "imageId": {"imageDigest": image["imageDigest"]}}
                     for image in own)
        return self._counted(listing, asked, mine, account_wide=True)

    def _pushed(self) -> tuple[dict, tuple[dict, ...]]:
        """The run's repository of IMAGES tagged images: the request naming it, and the images."""
        repository = self._resources.repository()
        pushed = [self._resources.fresh_image(repository, tag=f"page-{n}") for n in range(1, IMAGES + 1)]
        return {"repositoryName": repository.name}, tuple({"imageDigest": p.digest, "imageTag": p.tag} for p in pushed)

    def _counted(self, listing: Listing, request: dict, own: tuple[dict, ...] | None, **more) -> Subject:
        """A list of unknown length: its items are counted first, in the largest pages the model allows (at
        most COUNT_PAGES of them); its walk then asks for the table's maxResults, or more when the list is
        long, so that it takes about REGISTRY_PAGES pages; it has not ended when it stalls (STALL)."""
        high = listing.paginator.limit_bounds()[1]
        counted = walk(self._client, listing, Subject(request, None, high, COUNT_PAGES, stall=STALL,
                                                      account_wide=more.get("account_wide", False)))
        items = sum(len(page.items) for page in counted.pages)
        size = min(high, max(listing.max_results, math.ceil(items / REGISTRY_PAGES)))
        return Subject(request, own, size, MOST_PAGES, stall=STALL, **more)

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
    """Pages of at most the subject's maxResults, following the next token until a page has none, a token
    comes back, the walk stalls (the subject's stall), or the subject's bound of pages."""
    paginator = listing.paginator
    pages: list[paging.Page] = []
    token, given, seen, idle = None, set(), set(), 0  # idle: pages in a row with a token and nothing new
    while len(pages) < subject.most_pages:
        request = {**subject.request, paginator.limit_key: subject.max_results}
        if token is not None:
            request[paginator.input_token] = token
        exchange = client.call(listing.operation, request)
        # A list of the whole account holds items of others, and of the run's other checks (a target may
        # have changed them for an invalid request): paging is judged here, the schema by the success family.
        body = checks.answered_200(exchange) if subject.account_wide else checks.succeeded(exchange)
        if not isinstance(body, dict):
            body = checks.matches_output_schema(exchange)  # not a JSON object: fails there
        token = paginator.next_token(body)
        items = tuple(paginator.items(body))
        pages.append(paging.Page(exchange, items, token))
        names = {paging.item_key(item) for item in items}
        idle = idle + 1 if token is not None and not names - seen else 0
        seen |= names
        if token is None or token in given or (subject.stall and idle >= subject.stall):
            break
        given.add(token)
    return paging.Walk(tuple(pages), subject.max_results)


@pytest.fixture(scope="module")
def lists(client, resources, registry_writes, scan_timeout):
    made = Lists(client, resources, registry_writes, scan_timeout)
    yield made
    with interrupts.deferred():
        made.close()


@pytest.mark.parametrize("operation", _params("ops N.2", "a page holds up to maxResults items"))
def test_page_holds_at_most_max_results(lists, operation):
    """No page MUST hold more items than maxResults asked for."""
    _, walked = lists.walk(listings.listing(operation))
    paging.pages_within_limit(walked)


@pytest.mark.parametrize("operation", _params("ops N.2", "the last page has no nextToken"))
def test_next_token_ends(lists, operation):
    """Following nextToken MUST end: a last page without one, and no token given twice."""
    subject, walked = lists.walk(listings.listing(operation))
    paging.ends(walked, subject.most_pages, subject.stall)


@pytest.mark.parametrize("operation", _params(
    "model; ops N.1", "with nextToken, pagination continues from the end of the previous results"))
def test_every_item_is_on_one_page(lists, operation):
    """Each item the run made MUST be on exactly one page of a walk: none repeated, none skipped."""
    listing = listings.listing(operation)
    if listing.lists in NOT_MADE:
        pytest.skip(f"not judged: {NOT_MADE[listing.lists]}")
    subject, walked = lists.walk(listing)
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
def test_garbled_next_token_is_refused(client, lists, operation, record_property):
    """A nextToken the target never gave (a garbled one) MUST be refused as invalid: InvalidParameterException."""
    listing = listings.listing(operation)
    subject, walked = lists.walk(listing)
    genuine = walked.pages[0].token or STAND_IN
    paginator = listing.paginator
    request = {**subject.request, paginator.limit_key: subject.max_results,
               paginator.input_token: GARBLED_MARK + genuine[::-1]}
    # ValidationException too where the operation models it, as for any invalid input (suites/operations).
    allowed = checks.VALIDATION_ERRORS & {"InvalidParameterException", *schemas.modelled_errors(operation)}
    record_property("error_type_seen", checks.failed_with(client.call(operation, request), allowed))
