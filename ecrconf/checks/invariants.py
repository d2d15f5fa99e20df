"""The stateful suite's invariants: what the target answers, compared with the registry model. No I/O.

Each function takes a program run (``ecrconf.resources.program.ProgramRun``: its model, names and the digests
the target answered) and what the reads of ``ecrconf.resources.program_reads`` got, and returns the
disagreements, each with the exchange it is about. Consistency between operations is judged against what
the endpoint itself answered where the protocol leaves it open: images are named by the digest PutImage
answered (only ``digest`` holds that to the sha256 of the bytes), list order is not promised, pages may be
smaller than asked, optional members may be absent.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from ecrconf.wire import protocol
from ecrconf.wire.exchange import Exchange

MAX_PAGES = 50  # a walk of a few images that needs more pages never ends
PAGE = 2  # maxResults of the walks: small, so that paging is exercised


@dataclass(frozen=True)
class Problem:
    text: str
    exchange: Exchange | None = None


@dataclass(frozen=True)
class Walk:
    """Every page of a listing: the items of all pages in order, the exchanges, whether it ended."""
    items: tuple
    exchanges: tuple[Exchange, ...]
    ended: bool


def dig(document: object, *keys: str) -> object:
    for key in keys:
        document = document.get(key) if isinstance(document, dict) else None
    return document


def disagreement(exchange: Exchange, outcome) -> str:
    """How an answer disagrees with the model's Outcome; "" when it agrees. An answer that is neither a 200
    nor an error with a type disagrees with every prediction."""
    if exchange.status is None:
        return f"no answer ({exchange.transport_error})"
    error = protocol.error_type(exchange) if exchange.status >= 400 else None
    if exchange.status == 200:
        if outcome.errors:
            return f"{exchange.operation} succeeded; the model predicts {outcome}"
        failed = bool(dig(exchange.body, "failures"))
        if exchange.operation.startswith("Batch") and failed != outcome.item_failed:
            return (f"{exchange.operation} answered {'a failure' if failed else 'no failure'} for its image; the "
                    f"model predicts {outcome}")
        return ""
    if outcome.errors and error in outcome.errors:
        return ""
    return f"{exchange.operation} answered HTTP {exchange.status} {error or '(no error type)'}; the model predicts {outcome}"


def misanswered(exchange: Exchange, outcome) -> str:
    """How a successful answer's members differ from the values the outcome names (``Outcome.answer``, e.g.
    UploadLayerPart's lastByteReceived, ops L.2); "" when they agree, when the answer leaves such a member out
    (it may be optional) or when the call did not succeed. Not a disagreement: the state is as predicted."""
    if exchange.status != 200 or not outcome.succeeds:
        return ""
    answered = {key: dig(exchange.body, key) for key, _ in outcome.answer}
    return "; ".join(f"{exchange.operation} answered {key} {answered[key]!r}; the model predicts {value!r} "
                     f"({outcome.evidence})" for key, value in outcome.answer
                     if answered[key] is not None and answered[key] != value)


def expected_entries(run, handle: str, status: str) -> list[tuple[str, str | None]]:
    """ListImages' entries the model expects (ops I.16): (digest as answered, tag) per tag, (digest, None)
    per untagged image, of filter.tagStatus status."""
    repository = run.model.repositories.get(handle)
    found = []
    for digest, image in (repository.images.items() if repository else ()):
        named = run.endpoint_digest(handle, digest)
        if image.tags and status in ("ANY", "TAGGED"):
            found += [(named, tag) for tag in image.tags]
        elif not image.tags and status in ("ANY", "UNTAGGED"):
            found.append((named, None))
    return sorted(found, key=_order)


def _entries(items) -> list[tuple[str | None, str | None]]:
    return [(i.get("imageDigest"), i.get("imageTag")) for i in items if isinstance(i, dict)]


def _order(entry) -> tuple[str, str]:
    return entry[0] or "", entry[1] or ""


def _walk_problems(walk: Walk, what: str, limit: int | None = None) -> list[Problem]:
    """A walk that failed or did not end; with limit, pages longer than it (the size of pages is the paging
    invariant's, and the pagination suite's: the other invariants judge what a walk lists)."""
    last = walk.exchanges[-1] if walk.exchanges else None
    if last is not None and last.status != 200:
        return [Problem(f"{what}: HTTP {last.status} {protocol.error_type(last) or ''}".rstrip(), last)]
    problems = [Problem(f"{what}: a page of {len(dig(e.body, k) or [])} items where maxResults is {limit}", e)
                for e in walk.exchanges for k in ("imageIds", "imageDetails")
                if limit is not None and len(dig(e.body, k) or []) > limit]
    if not walk.ended:
        problems.append(Problem(f"{what}: still gives a nextToken after {MAX_PAGES} pages", last))
    return problems


def _compare(what: str, got: list, expected: list, exchange: Exchange | None, *, deleted=()) -> list[Problem]:
    problems = [Problem(f"{what}: {entry} is listed {n} times", exchange)
                for entry, n in sorted(Counter(got).items(), key=lambda kv: str(kv[0])) if n > 1]
    missing, extra = sorted(set(expected) - set(got), key=str), sorted(set(got) - set(expected), key=str)
    if missing:
        problems.append(Problem(f"{what}: missing {missing}", exchange))
    if extra:
        gone = [e for e in extra if e[0] in deleted]
        problems.append(Problem(f"{what}: lists {extra}, which the model does not hold"
                                + (f" ({gone} deleted)" if gone else ""), exchange))
    return problems


def list_images(run, walks: dict[tuple[str, str], Walk]) -> list[Problem]:
    """ListImages per live repository and tagStatus: exactly the model's entries, each once (ops I.16)."""
    problems = []
    for (handle, status), walk in sorted(walks.items()):
        what = f"ListImages of {handle} (tagStatus {status})"
        problems += _walk_problems(walk, what) or _compare(
            what, _entries(walk.items), expected_entries(run, handle, status), walk.exchanges[-1],
            deleted=_deleted(run, handle))
    return problems


def describe_images(run, walks: dict[str, Walk]) -> list[Problem]:
    """DescribeImages per live repository: each held image once, its tags, its media type (ops I.3, I.14)."""
    problems = []
    for handle, walk in sorted(walks.items()):
        what = f"DescribeImages of {handle}"
        found = _walk_problems(walk, what)
        if found:
            problems += found
            continue
        repository = run.model.repositories[handle]
        details = [d for d in walk.items if isinstance(d, dict)]
        got = [(d.get("imageDigest"), tuple(sorted(d.get("imageTags") or ()))) for d in details]
        expected = [(run.endpoint_digest(handle, digest), tuple(sorted(image.tags)))
                    for digest, image in repository.images.items()]
        problems += _compare(what, got, expected, walk.exchanges[-1], deleted=_deleted(run, handle))
        types = {run.endpoint_digest(handle, d): i.media_type for d, i in repository.images.items()}
        problems += [Problem(f"{what}: {d['imageDigest']} has imageManifestMediaType {d['imageManifestMediaType']!r}, "
                             f"pushed as {types[d['imageDigest']]!r}", walk.exchanges[-1])
                     for d in details if d.get("imageDigest") in types and "imageManifestMediaType" in d
                     and d["imageManifestMediaType"] != types[d["imageDigest"]]]
    return problems


def _gone(operation: str, handle: str, exchange: Exchange) -> list[Problem]:
    """A call naming a deleted repository MUST fail with RepositoryNotFoundException (research 4.1)."""
    if protocol.error_type(exchange) == "RepositoryNotFoundException":
        return []
    return [Problem(f"{operation} of deleted {handle}: HTTP {exchange.status} "
                    f"{protocol.error_type(exchange) or ''}; expected RepositoryNotFoundException", exchange)]


def batch_get_image(run, answers: dict[str, Exchange]) -> list[Problem]:
    """BatchGetImage of every digest and tag a repository ever held: the pushed bytes of what it holds (the
    tag's current image), a failure for what was deleted (ops I.6, I.8, I.11); a deleted repository's whole
    call fails with RepositoryNotFoundException (research 4.1)."""
    problems = []
    for handle, exchange in sorted(answers.items()):
        repository = run.model.repositories.get(handle)
        if repository is None:
            problems += _gone("BatchGetImage", handle, exchange)
            continue
        if exchange.status != 200:
            problems.append(Problem(f"BatchGetImage of {handle}: HTTP {exchange.status}", exchange))
            continue
        got = [i for i in dig(exchange.body, "images") or [] if isinstance(i, dict)]
        for digest in sorted(d for d in run.seen.get(handle, ()) if d.startswith("sha256:")):
            named = run.endpoint_digest(handle, digest)
            answered = [i for i in got if dig(i, "imageId", "imageDigest") == named]
            image = repository.images.get(digest)
            if image is None and answered:
                problems.append(Problem(f"BatchGetImage of {handle} still answers deleted image {named}", exchange))
            elif image is not None and not answered:
                problems.append(Problem(f"BatchGetImage of {handle} does not answer its image {named}", exchange))
            elif image is not None and any(i.get("imageManifest") != image.manifest.decode() for i in answered):
                problems.append(Problem(f"BatchGetImage of {handle} answers {named} with other manifest bytes than "
                                        "were pushed", exchange))
        for tag in sorted(t for t in run.seen.get(handle, ()) if not t.startswith("sha256:")):
            answered = {dig(i, "imageId", "imageDigest") for i in got if dig(i, "imageId", "imageDigest")
                        and dig(i, "imageId", "imageTag") == tag}
            holder = repository.tags.get(tag)
            expected = {run.endpoint_digest(handle, holder)} if holder else set()
            if answered != expected:
                problems.append(Problem(f"BatchGetImage of {handle} answers tag {tag} with {sorted(answered)}; the "
                                        f"model's tag names {sorted(expected) or 'no image'}", exchange))
    return problems


def paging(walk: dict) -> list[Problem]:
    """A ListImages walk of one entry a page with a deletion after its first page: every entry there before
    and after once, nothing twice, nothing that was never there, each page at most one entry (ops N.2)."""
    pages = walk["pages"]
    what = "ListImages one entry a page, an image deleted after the first page"
    problems = _walk_problems(Walk(tuple(), tuple(pages), not dig(pages[-1].body, "nextToken")), what, 1)
    got = _entries(i for page in pages for i in dig(page.body, "imageIds") or [])
    kept = set(walk["before"]) & set(walk["after"])
    problems += [Problem(f"{what}: {entry} is listed {n} times", pages[-1])
                 for entry, n in sorted(Counter(got).items(), key=lambda kv: _order(kv[0])) if n > 1]
    skipped = sorted(kept - set(got), key=_order)
    if skipped:
        problems.append(Problem(f"{what}: {skipped} skipped, though never deleted", pages[-1]))
    strange = sorted(set(got) - set(walk["before"]), key=_order)
    if strange:
        problems.append(Problem(f"{what}: lists {strange}, which the repository never held then", pages[-1]))
    return problems


def repositories(run, answers: dict[str, Exchange]) -> list[Problem]:
    """DescribeRepositories of each repository name: its settings while it exists (ops R.1), then
    RepositoryNotFoundException (research 4.1; ops R.7)."""
    problems = []
    for handle, exchange in sorted(answers.items()):
        repository = run.model.repositories.get(handle)
        if repository is None:
            problems += _gone("DescribeRepositories", handle, exchange)
            continue
        found = [r for r in dig(exchange.body, "repositories") or [] if isinstance(r, dict)]
        if exchange.status != 200 or [r.get("repositoryName") for r in found] != [run.names[handle]]:
            problems.append(Problem(f"DescribeRepositories of {handle} does not describe it", exchange))
            continue
        settings = {"imageTagMutability": (found[0].get("imageTagMutability"), repository.mutability),
                    "scanOnPush": (dig(found[0], "imageScanningConfiguration", "scanOnPush"), repository.scan_on_push)}
        problems += [Problem(f"DescribeRepositories of {handle}: {key} {got!r}, created with {want!r}", exchange)
                     for key, (got, want) in settings.items() if got is not None and got != want]
    return problems


def policies(run, answers: dict[tuple[str, str], Exchange]) -> list[Problem]:
    """GetRepositoryPolicy and GetLifecyclePolicy find a policy exactly while one is set (ops P.2, P.7)."""
    missing = {"policy": "RepositoryPolicyNotFoundException", "lifecycle": "LifecyclePolicyNotFoundException"}
    problems = []
    for (handle, kind), exchange in sorted(answers.items()):
        held = getattr(run.model.repositories[handle], kind)
        ok = exchange.status == 200 if held else protocol.error_type(exchange) == missing[kind]
        if not ok:
            problems.append(Problem(f"{exchange.operation} of {handle}: HTTP {exchange.status} "
                                    f"{protocol.error_type(exchange) or ''}; the model "
                                    f"{'holds a policy' if held else 'holds none: ' + missing[kind]}", exchange))
    return problems


def resource_tags(run, answers: dict[str, Exchange]) -> list[Problem]:
    """ListTagsForResource answers exactly the repository's tags, each key's last value (ops T.1, T.3)."""
    problems = []
    for handle, exchange in sorted(answers.items()):
        got = {t.get("Key"): t.get("Value") for t in dig(exchange.body, "tags") or [] if isinstance(t, dict)}
        expected = run.model.repositories[handle].resource_tags
        if exchange.status != 200 or got != expected:
            problems.append(Problem(f"ListTagsForResource of {handle}: {got}, the model holds {expected}", exchange))
    return problems


def judged_blobs(repository) -> dict[str, int | None]:
    """The blobs of a model repository whose availability the evidence decides: digest -> its size in bytes
    for a blob completed there (ops L.5, L.8), None for one whose upload was opened or refused and never
    completed (research 6.2, 6.3, 6.12). A blob that only deleted images named is left out: whether ECR keeps
    it available is not known."""
    named = {blob for image in repository.images.values() for blob in image.blobs}
    judged: dict[str, int | None] = {digest: size for digest, size in repository.layers.items()
                                     if digest not in repository.released or digest in named}
    judged.update({digest: None for digest in repository.unfinished
                   if digest not in repository.layers and digest not in repository.released})
    return judged


def layers(run, answers: dict[str, Exchange]) -> list[Problem]:
    """BatchCheckLayerAvailability per live repository: each blob completed there AVAILABLE with layerSize
    the bytes uploaded in all its parts (ops L.5, L.8, DOC: the shape, and layerSize is the layer's size)."""
    def judge(what: str, digest: str, size: int | None, available: list[dict]) -> str:
        if size is None:
            return ""
        if not available:
            return f"{what}: {digest}, completed ({size} bytes), is not AVAILABLE"
        if any(entry.get("layerSize") != size for entry in available):
            sizes = ", ".join(repr(entry.get("layerSize")) for entry in available)
            return f"{what}: {digest} has layerSize {sizes}; {size} bytes were uploaded"
        return ""
    return _judge_blobs(answers, run, judge)


def unfinished_layers(run, answers: dict[str, Exchange]) -> list[Problem]:
    """BatchCheckLayerAvailability per live repository: no blob whose upload there is open, or was refused
    and never completed, is AVAILABLE (a failure entry or UNAVAILABLE are both fine). INF: no row says it,
    it follows from CompleteLayerUpload being what makes a layer (ops L.5) and refusing what it refuses
    (research 6.2, 6.3, 6.12)."""
    def judge(what: str, digest: str, size: int | None, available: list[dict]) -> str:
        if size is None and available:
            return f"{what}: {digest} is AVAILABLE, but its upload was never completed"
        return ""
    return _judge_blobs(answers, run, judge)


def _judge_blobs(answers: dict[str, Exchange], run, judge) -> list[Problem]:
    """judge(what, digest, size or None, the AVAILABLE entries of digest) -> a problem or "", for every blob
    judged_blobs() decides, in every repository's answer; an answer that is not HTTP 200 is a problem."""
    problems = []
    for handle, exchange in sorted(answers.items()):
        what = f"BatchCheckLayerAvailability of {handle}"
        if exchange.status != 200:
            error = protocol.error_type(exchange) or ""
            problems.append(Problem(f"{what}: HTTP {exchange.status} {error}".rstrip(), exchange))
            continue
        entries = [entry for entry in dig(exchange.body, "layers") or [] if isinstance(entry, dict)]
        for digest, size in sorted(judged_blobs(run.model.repositories[handle]).items()):
            available = [e for e in entries
                         if e.get("layerDigest") == digest and e.get("layerAvailability") == "AVAILABLE"]
            problem = judge(what, digest, size, available)
            if problem:
                problems.append(Problem(problem, exchange))
    return problems


def digests(step) -> list[Problem]:
    """Each PutImage of the step answered the sha256 of the manifest bytes sent (ops I.4; research 6.4)."""
    return [Problem(f"PutImage answered digest {dig(e.body, 'image', 'imageId', 'imageDigest')!r}; the sha256 "
                    f"of the manifest bytes sent is {digest}", e)
            for e, digest in step.puts if dig(e.body, "image", "imageId", "imageDigest") != digest]


def _deleted(run, handle: str) -> set[str]:
    """Digests (as answered) of images the repository held once and holds no more."""
    held = run.model.repositories[handle].images if handle in run.model.repositories else {}
    return {run.endpoint_digest(handle, d) for d in run.seen.get(handle, ()) if d.startswith("sha256:") and d not in held}
