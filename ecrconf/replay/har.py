"""Reading a recording: the HAR files of one ``--record`` directory, each entry back as an ``Exchange``.

Raises ``RecordingInvalid`` (one line) for a directory without ``*.har`` files, a file that is not JSON, or
one that lacks what a recording of this suite has (``log.entries``, ``log._ecrconf.prefix``, each entry's
request and response).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path

from ecrconf.wire.exchange import Exchange, Request, Response


class RecordingInvalid(ValueError):
    """A recording that cannot be read; str() is one line."""


@dataclass(frozen=True)
class Recording:
    path: Path
    meta: dict  # log._ecrconf: endpoint, region, realAws, prefix, worker, suiteVersion, recorded, ...
    entries: list[dict]


def load(directory: Path) -> list[Recording]:
    """Every ``*.har`` of directory, by file name (main.har, or gw0.har, gw1.har, ...)."""
    if not directory.is_dir():
        raise RecordingInvalid(f"{directory} is not a directory")
    paths = sorted(directory.glob("*.har"))
    if not paths:
        raise RecordingInvalid(f"{directory} holds no *.har recording")
    return [_read(path) for path in paths]


def _read(path: Path) -> Recording:
    try:
        document = json.loads(path.read_text())
        log = document["log"]
        meta, entries = log["_ecrconf"], log["entries"]
        if not isinstance(meta.get("prefix"), str) or not isinstance(entries, list):
            raise TypeError("prefix or entries of the wrong type")
        for item in entries:
            item["request"]["postData"], item["response"]["status"]  # noqa: B018 (presence)
    except OSError as exc:
        raise RecordingInvalid(f"{path}: cannot be read: {exc.strerror or exc}") from None
    except ValueError as exc:
        raise RecordingInvalid(f"{path}: not JSON: {exc}") from None
    except (KeyError, TypeError) as exc:
        raise RecordingInvalid(f"{path}: not a recording of this suite (log._ecrconf, entries: {exc})") from None
    return Recording(path, meta, entries)


def headers(message: dict) -> dict[str, str]:
    """A HAR request's or response's headers as a dict (the last of a repeated name wins)."""
    return {h["name"]: h["value"] for h in message.get("headers", [])}


def request_body(entry: dict) -> bytes | None:
    """The request body as sent; None when the recording omitted it (larger than recording.BODY_LIMIT)."""
    post = entry["request"]["postData"]
    if "_omitted" in post:
        return None
    text = post.get("text", "")
    return base64.b64decode(text) if post.get("_encoding") == "base64" else text.encode()


def exchange(entry: dict) -> Exchange:
    """The recorded exchange (its redacted headers and bodies), for the checks' readers (protocol.error_type)."""
    req = entry["request"]
    request = Request(req["method"], req["url"], headers(req), request_body(entry) or b"")
    res = entry["response"]
    response = None
    if res["status"]:
        content = res.get("content", {})
        text = content.get("text", "")
        body = base64.b64decode(text) if content.get("encoding") == "base64" else text.encode()
        response = Response(res["status"], {k.lower(): v for k, v in headers(res).items()}, body)
    return Exchange(entry.get("_operation", ""), request, response, entry.get("time", 0) / 1000,
                    entry.get("_error") if response is None else None)
