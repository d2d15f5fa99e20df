"""The stateful suite's programs: the step vocabulary, drawing steps, and the program file.

A step is a JSON object (``program_schema.json``) in symbolic terms: repository handles (``repo0``) and image
references (``oci:1``, ``oci-index:0,1``) that each run maps to names and content of its own, so that a program
saved by one run replays in another against any endpoint (``--replay-steps=FILE``). The ``draw_*`` functions
draw a step from what the program holds now (a ``View``), shrinking towards short, plain steps.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jsonschema
from hypothesis import strategies as st

FORMAT = "ecrconf-program/1"
SCHEMA = Path(__file__).with_name("program_schema.json")
HANDLES = ("repo0", "repo1")
TAGS = ("t0", "t1", "t2")
SINGLES = ("oci:0", "oci:1", "oci:2", "docker:0", "docker:1")
INDEX_OF = {"oci": "oci-index", "docker": "docker-list"}  # an index's kind by the kind of its images
KEYS, VALUES = ("k0", "k1"), ("v0", "v1")
UPLOADS = ("u0", "u1")  # handles of uploads in progress, open at once


class ProgramInvalid(ValueError):
    """A program file that cannot be replayed; str() is one line naming the fault."""


@dataclass(frozen=True)
class View:
    """What a program holds now, as the model says, in the program's own terms."""
    live: tuple[str, ...] = ()  # handles of the repositories that exist
    images: dict[str, tuple[str, ...]] = field(default_factory=dict)  # handle -> image references held
    tags: dict[str, tuple[str, ...]] = field(default_factory=dict)  # handle -> image tags held
    resource_tags: dict[str, tuple[str, ...]] = field(default_factory=dict)  # handle -> resource tag keys
    # upload handle -> (the handle of the repository it was opened in, bytes of its blob not sent yet)
    uploads: dict[str, tuple[str, int]] = field(default_factory=dict)

    def held(self, handle: str) -> tuple[str, ...]:
        return self.images.get(handle, ())


def children(reference: str) -> tuple[str, ...]:
    """The single images an index reference names (oci-index:0,1 -> oci:0, oci:1); () for a single image."""
    kind, _, numbers = reference.partition(":")
    single = next((k for k, index in INDEX_OF.items() if index == kind), None)
    return tuple(f"{single}:{n}" for n in numbers.split(",")) if single else ()


# --- drawing steps (data: hypothesis st.data()) ------------------------------------------------------


def _live(data, view: View, *, rarely_absent: bool = True) -> str:
    """A live handle, now and then one that is not (its calls must fail RepositoryNotFoundException)."""
    pool = list(view.live) or list(HANDLES)
    if rarely_absent and data.draw(st.sampled_from([False] * 9 + [True])):
        pool = list(HANDLES)
    return data.draw(st.sampled_from(pool))


def draw_create_repository(data, view: View) -> dict:
    """CreateRepository of a handle that does not exist (any handle once all do), MUTABLE or IMMUTABLE."""
    absent = [h for h in HANDLES if h not in view.live] or list(HANDLES)
    return {"step": "create_repository", "repository": data.draw(st.sampled_from(absent)),
            "mutability": data.draw(st.sampled_from(["MUTABLE", "IMMUTABLE"])),
            "scan_on_push": data.draw(st.booleans())}


def draw_delete_repository(data, view: View) -> dict:
    """DeleteRepository with or without force."""
    return {"step": "delete_repository", "repository": _live(data, view), "force": data.draw(st.booleans())}


def draw_upload_blob(data, view: View) -> dict:
    """One blob of a single image (config or layer) uploaded whole, or now and then in two small parts."""
    return {"step": "upload_blob", "repository": _live(data, view), "image": data.draw(st.sampled_from(SINGLES)),
            "blob": data.draw(st.sampled_from(["config", "layer"])), "parts": data.draw(st.sampled_from([1, 1, 1, 2]))}


def draw_put_image(data, view: View) -> dict:
    """PutImage of a single image (or one the repository holds), with or without a tag and imageDigest, its
    blobs uploaded first unless now and then."""
    repository = _live(data, view)
    image = data.draw(st.sampled_from(SINGLES + view.held(repository)))
    return {"step": "put_image", "repository": repository, "image": image,
            "tag": data.draw(st.sampled_from([None, *TAGS])),
            "digest": data.draw(st.sampled_from(["none", "right"] * 3 + ["wrong"])),
            "upload": data.draw(st.sampled_from([True] * 4 + [False]))}


def draw_retag(data, view: View) -> dict:
    """PutImage of an image the repository holds, with a tag (ops I.3: a new tag is added, a held one refused)."""
    repository = data.draw(st.sampled_from([h for h in view.live if view.held(h)]))
    return {"step": "put_image", "repository": repository, "image": data.draw(st.sampled_from(view.held(repository))),
            "tag": data.draw(st.sampled_from(TAGS)), "digest": data.draw(st.sampled_from(["none", "right"])),
            "upload": False}


def draw_put_index(data, view: View) -> dict:
    """An index of two images the repository holds when it holds two of one kind, else of two singles."""
    repository = _live(data, view, rarely_absent=False)
    held = [ref for ref in view.held(repository) if ref in SINGLES]
    pairs = [(a, b) for a in held for b in held if a < b and a.split(":")[0] == b.split(":")[0]]
    first, second = data.draw(st.sampled_from(pairs or [("oci:0", "oci:1"), ("docker:0", "docker:1")]))
    kind = INDEX_OF[first.split(":")[0]]
    return {"step": "put_image", "repository": repository,
            "image": f"{kind}:{first.split(':')[1]},{second.split(':')[1]}",
            "tag": data.draw(st.sampled_from([*TAGS, None])), "digest": data.draw(st.sampled_from(["none", "right"])),
            "upload": True}


def draw_delete_image(data, view: View) -> dict:
    """BatchDeleteImage by the digest of an image the repository holds."""
    repository = _live(data, view)
    return {"step": "delete_image", "repository": repository,
            "image": data.draw(st.sampled_from(view.held(repository) or SINGLES))}


def draw_delete_tag(data, view: View) -> dict:
    """BatchDeleteImage by a tag the repository holds (any tag when it holds none)."""
    repository = _live(data, view)
    return {"step": "delete_tag", "repository": repository,
            "tag": data.draw(st.sampled_from(view.tags.get(repository) or TAGS))}


def can_delete_between_pages(view: View) -> bool:
    """Whether a repository holds two images, so that a listing of it has a page after the first."""
    return any(len(view.held(handle)) >= 2 for handle in view.live)


def draw_delete_between_pages(data, view: View) -> dict:
    """ListImages one entry a page, the deletion of a held image after the first page, then the other pages."""
    repository = data.draw(st.sampled_from([h for h in view.live if len(view.held(h)) >= 2]))
    return {"step": "delete_between_pages", "repository": repository,
            "image": data.draw(st.sampled_from(view.held(repository)))}


def draw_start_scan(data, view: View) -> dict:
    """StartImageScan of an image the repository holds (the runner never sends a second scan of one)."""
    repository = _live(data, view, rarely_absent=False)
    return {"step": "start_scan", "repository": repository,
            "image": data.draw(st.sampled_from(view.held(repository) or SINGLES))}


def draw_policy(data, view: View) -> dict:
    """SetRepositoryPolicy, PutLifecyclePolicy, or the deletion of either."""
    return {"step": data.draw(st.sampled_from(["set_policy", "delete_policy"])), "repository": _live(data, view),
            "kind": data.draw(st.sampled_from(["policy", "lifecycle"]))}


def draw_resource_tag(data, view: View) -> dict:
    """TagResource of a key (again: a new value), or UntagResource of a key the repository has."""
    repository = _live(data, view)
    held = view.resource_tags.get(repository, ())
    if held and data.draw(st.booleans()):
        return {"step": "untag_resource", "repository": repository, "key": data.draw(st.sampled_from(held))}
    return {"step": "tag_resource", "repository": repository, "key": data.draw(st.sampled_from(KEYS)),
            "value": data.draw(st.sampled_from(VALUES))}


def can_open_upload(view: View) -> bool:
    """Whether a repository exists and an upload handle is free."""
    return bool(view.live) and len(view.uploads) < len(UPLOADS)


def draw_open_upload(data, view: View) -> dict:
    """InitiateLayerUpload under a free upload handle, for a blob of a single image; its parts and completion
    are steps of their own, so that other steps (and another upload) come in between. Never "big": a 5 MiB
    part costs seconds on some targets, so only a fixed program (fixtures/programs/big-layer.json) sends one."""
    return {"step": "open_upload", "repository": _live(data, view),
            "upload": data.draw(st.sampled_from([u for u in UPLOADS if u not in view.uploads])),
            "image": data.draw(st.sampled_from(SINGLES)),
            "blob": data.draw(st.sampled_from(["config", "layer"]))}


def _elsewhere(data, repository: str) -> str:
    """The repository an upload's call names: its own, now and then the other handle (ops L.7)."""
    other = [h for h in HANDLES if h != repository]
    return data.draw(st.sampled_from([repository] * 7 + other))


def can_send_part(view: View) -> bool:
    return any(left > 0 for _, left in view.uploads.values())


def draw_upload_part(data, view: View) -> dict:
    """UploadLayerPart of an open upload: the rest of its blob, or a part of it (half of what is left; of a
    big blob, its first 5 MiB)."""
    upload = data.draw(st.sampled_from(sorted(u for u, (_, left) in view.uploads.items() if left > 0)))
    return {"step": "upload_part", "repository": _elsewhere(data, view.uploads[upload][0]), "upload": upload,
            "bytes": data.draw(st.sampled_from(["rest", "part"]))}


def _uploading(view: View) -> bool:
    return bool(view.uploads)


def draw_complete_upload(data, view: View) -> dict:
    """CompleteLayerUpload of an open upload, with its blob's digest or, now and then, another."""
    upload = data.draw(st.sampled_from(sorted(view.uploads)))
    return {"step": "complete_upload", "repository": _elsewhere(data, view.uploads[upload][0]), "upload": upload,
            "digest": data.draw(st.sampled_from(["right"] * 5 + ["wrong"]))}


def _live_any(view: View) -> bool:
    return bool(view.live)


def _holding(view: View) -> bool:
    return any(view.held(h) for h in view.live)


# What a program is made of: (how a step is drawn, how often against the others, when it can be drawn).
# The first kinds are those a shrunk program keeps.
KINDS = (
    (draw_create_repository, 2, lambda view: len(view.live) < len(HANDLES)),
    (draw_put_image, 5, _live_any),
    (draw_retag, 2, _holding),
    (draw_delete_tag, 1, _live_any),
    (draw_delete_image, 1, _live_any),
    (draw_delete_between_pages, 1, can_delete_between_pages),
    (draw_delete_repository, 1, _live_any),
    (draw_put_index, 1, _live_any),
    (draw_upload_blob, 1, _live_any),
    (draw_start_scan, 1, _holding),
    (draw_policy, 1, _live_any),
    (draw_resource_tag, 1, _live_any),
    (draw_open_upload, 1, can_open_upload),
    (draw_upload_part, 1, can_send_part),
    (draw_complete_upload, 1, _uploading),
)


def draw_step(data, view: View) -> dict:
    """One step of a kind that fits the view (KINDS), drawn as often as its weight says."""
    pool = [draw for draw, weight, fits in KINDS if fits(view) for _ in range(weight)]
    if not pool:  # every handle is live and holds nothing yet: create fails, but anything else fits
        pool = [draw_create_repository]
    return data.draw(st.sampled_from(pool))(data, view)


# --- the program file -------------------------------------------------------------------------------


def describe(step: dict) -> str:
    """One line a person reads: the step's kind, repository and what else it names."""
    details = [f"{key} {value}" for key, value in step.items() if key not in ("step", "repository")]
    return f"{step['step']} {step['repository']}" + (f" ({', '.join(details)})" if details else "")


def dump(steps: list[dict], path: Path, *, check: str = "") -> None:
    """Write a program file (program_schema.json); OSError when it cannot be written."""
    document = {"format": FORMAT, **({"check": check} if check else {}), "steps": steps}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=1) + "\n")


def load(path: Path) -> list[dict]:
    """The steps of a program file; ProgramInvalid (one line) for a file that is missing, not JSON or not a
    program (program_schema.json)."""
    try:
        document = json.loads(Path(path).read_text())
    except OSError as exc:
        raise ProgramInvalid(f"--replay-steps {path}: cannot be read: {exc.strerror or exc}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProgramInvalid(f"--replay-steps {path}: not JSON: {str(exc).splitlines()[0]}") from None
    error = jsonschema.exceptions.best_match(_validator().iter_errors(document))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        raise ProgramInvalid(f"--replay-steps {path}: not a program ({FORMAT}): at {where}: "
                             f"{error.message[:200]}")
    return document["steps"]


def meant_for(path: Path, invariant: str) -> bool:
    """Whether the fixed program at path is run first by the check of invariant (its "invariants", when it
    names them; every check's when not). The file is one the suite ships: load() has judged it."""
    return invariant in json.loads(Path(path).read_text()).get("invariants", [invariant])


@cache
def _validator() -> jsonschema.protocols.Validator:
    return jsonschema.Draft202012Validator(json.loads(SCHEMA.read_text()))
