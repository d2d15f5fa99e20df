"""Exchanges as HAR 1.2 entries, with every secret redacted; and the one hook the client calls per request.

HAR 1.2 (http://www.softwareishard.com/blog/har-12-spec/) is written as plain JSON: no maintained Python
library is the standard for writing it. Custom fields start with ``_`` as the format allows: ``_checkId``
(the label the run gave the request: the check it belongs to), ``_operation``, ``_error`` (a transport
error; the response then has status 0), ``_encoding`` (``base64`` for a request body that is not UTF-8)
and ``_omitted`` (a body larger than BODY_LIMIT, kept only as its size and digest).

What is redacted (``redact``): the Authorization header's signature and all but 4 characters of its
credential (``ecrconf.wire.exchange.redact_header``), X-Amz-Security-Token, every
``authorizationData[].authorizationToken`` of a GetAuthorizationToken answer, and any occurrence of the
given secrets (the secret key, the session token) anywhere in the entry.
"""

from __future__ import annotations

import base64
import datetime
import hashlib
import json
import threading
from collections.abc import Callable

from ecrconf.wire.exchange import Exchange, redact_header

REDACTED = "<redacted>"
BODY_LIMIT = 1024 * 1024  # a request body larger than this (the 32 MiB oversized case) is not kept
# A secret shorter than this is no AWS secret (secret keys are 40 characters, session tokens hundreds): an
# emulator's "test" is left alone, or every "latest" of a recording would be mangled.
SECRET_MIN_LENGTH = 8
HAR_VERSION = "1.2"

_observer: Callable[[Exchange], None] | None = None
_lock = threading.Lock()


def install(observer: Callable[[Exchange], None]) -> None:
    """Have observer called with every exchange any client of this process sends (one at a time)."""
    global _observer
    _observer = observer


def uninstall() -> None:
    global _observer
    _observer = None


def observe(exchange: Exchange) -> None:
    """Called by ``EcrClient.send`` for every exchange; hands it to the installed observer, if any."""
    observer = _observer
    if observer is not None:
        with _lock:
            observer(exchange)


def entry(exchange: Exchange, *, label: str, secrets: tuple[str, ...],
          finished: datetime.datetime | None = None) -> dict:
    """One HAR 1.2 entry for exchange, redacted (see the module's docstring). label becomes ``_checkId``;
    finished (UTC, default now) less the exchange's elapsed time is ``startedDateTime``."""
    finished = finished or datetime.datetime.now(datetime.timezone.utc)
    started = finished - datetime.timedelta(seconds=exchange.elapsed)
    elapsed_ms = round(exchange.elapsed * 1000, 3)
    found = {
        "startedDateTime": started.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "time": elapsed_ms,
        "request": _request(exchange),
        "response": _response(exchange),
        "cache": {},
        "timings": {"send": 0, "wait": elapsed_ms, "receive": 0},
        "_checkId": label,
        "_operation": exchange.operation,
    }
    if exchange.transport_error:
        found["_error"] = exchange.transport_error
    return redact(found, secrets)


def _request(exchange: Exchange) -> dict:
    req = exchange.request
    headers = [{"name": k, "value": redact_header(k, str(v))} for k, v in req.headers.items()]
    content_type = next((h["value"] for h in headers if h["name"].lower() == "content-type"), "")
    post = {"mimeType": content_type, "text": ""}
    if len(req.body) > BODY_LIMIT:
        post["_omitted"] = {"size": len(req.body), "sha256": hashlib.sha256(req.body).hexdigest()}
    else:
        try:
            post["text"] = req.body.decode("utf-8")
        except UnicodeDecodeError:
            post["text"], post["_encoding"] = base64.b64encode(req.body).decode(), "base64"
    return {"method": req.method, "url": req.url, "httpVersion": "HTTP/1.1", "cookies": [], "headers": headers,
            "queryString": [], "postData": post, "headersSize": -1, "bodySize": len(req.body)}


def _response(exchange: Exchange) -> dict:
    res = exchange.response
    if res is None:
        return {"status": 0, "statusText": "", "httpVersion": "", "cookies": [], "headers": [],
                "content": {"size": 0, "mimeType": ""}, "redirectURL": "", "headersSize": -1, "bodySize": -1}
    content = {"size": len(res.body), "mimeType": res.header("content-type") or ""}
    text = _without_tokens(exchange)
    try:
        content["text"] = text.decode("utf-8")
    except UnicodeDecodeError:
        content["text"], content["encoding"] = base64.b64encode(text).decode(), "base64"
    return {"status": res.status, "statusText": "", "httpVersion": "HTTP/1.1", "cookies": [],
            "headers": [{"name": k, "value": redact_header(k, str(v))} for k, v in res.headers.items()],
            "content": content, "redirectURL": res.header("location") or "", "headersSize": -1,
            "bodySize": len(res.body)}


def _without_tokens(exchange: Exchange) -> bytes:
    """The response body, with every authorizationToken of a GetAuthorizationToken answer redacted."""
    body = exchange.response.body
    parsed = exchange.body
    if exchange.operation != "GetAuthorizationToken" or not isinstance(parsed, dict):
        return body
    data = parsed.get("authorizationData")
    if not isinstance(data, list):
        return body
    for item in data:
        if isinstance(item, dict) and "authorizationToken" in item:
            item["authorizationToken"] = REDACTED
    return json.dumps(parsed).encode()


def redact(document: object, secrets: tuple[str, ...]) -> object:
    """document (JSON values) with every occurrence of each secret (of SECRET_MIN_LENGTH characters or more)
    in any string, key or value, replaced by REDACTED; a base64 text is checked decoded too (a secret inside
    it makes the whole text REDACTED)."""
    wanted = tuple(s for s in secrets if len(s) >= SECRET_MIN_LENGTH)
    if not wanted:
        return document

    def clean(value: object) -> object:
        if isinstance(value, str):
            for secret in wanted:
                value = value.replace(secret, REDACTED)
            return value
        if isinstance(value, dict):
            cleaned = {clean(k): clean(v) for k, v in value.items()}
            if cleaned.get("_encoding") == "base64" or cleaned.get("encoding") == "base64":
                raw = base64.b64decode(cleaned.get("text", ""))
                if any(s.encode() in raw for s in wanted):
                    cleaned["text"] = REDACTED
            return cleaned
        if isinstance(value, list):
            return [clean(v) for v in value]
        return value

    return clean(document)


def har(entries: list[dict], *, comment: str, meta: dict, creator_version: str) -> dict:
    """A whole HAR 1.2 document: ``log`` with creator ecrconf, entries in the order sent, and meta (the
    run's endpoint, region, prefix, ...) under ``log._ecrconf``."""
    return {"log": {"version": HAR_VERSION, "creator": {"name": "ecrconf", "version": creator_version},
                    "pages": [], "entries": entries, "comment": comment, "_ecrconf": meta}}
