"""One request sent to a target and what came back: the unit every check judges."""

from __future__ import annotations

import json
import re
import shlex
from collections import Counter
from dataclasses import dataclass, field, replace

EXCERPT = 600
TIMED_OUT = "timed out"  # how a transport error that is a timeout begins
CURL_BODY_LIMIT = 16 * 1024
_SIGNATURE = re.compile(r"(Signature=)[0-9a-fA-F]+")
_CREDENTIAL = re.compile(r"(Credential=)([^/,\s]{4})[^/,\s]*")
SECRET_HEADERS = {"x-amz-security-token"}
# Besides category Cc (C0, DEL, C1): line and paragraph separators, and the bidi embeddings, overrides
# and isolates that can make a line read other than it is (Unicode TR #9; CVE-2021-42574 "Trojan Source").
# Category Cc is exactly U+0000-U+001F and U+007F-U+009F; newline and tab are kept.
_UNPRINTABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """text with every control character but newline and tab shown as an escape (``\\x1b``, ``\\u202e``).

    For any text a target controls (bodies, headers, transport errors) before it reaches a console or a
    report: an ESC sequence could clear the screen and draw a fake verdict, a NUL or CR hide what came
    before it. Controls are Unicode category Cc (C0, DEL, C1 U+0080-U+009F), U+2028/U+2029 and the bidi
    controls U+202A-U+202E, U+2066-U+2069. Other text, including non-ASCII letters, is unchanged.
    """
    return _UNPRINTABLE.sub(_escaped, text)


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def redact_header(name: str, value: str) -> str:
    if name.lower() in SECRET_HEADERS:
        return "<redacted>"
    if name.lower() == "authorization":
        return _CREDENTIAL.sub(r"\1\2…", _SIGNATURE.sub(r"\1<redacted>", value))
    return value


def _excerpt(body: bytes) -> str:
    """The start of a body as one printable text (see printable): at most EXCERPT characters of it."""
    # Only the bytes that can hold EXCERPT characters are decoded: a body can be megabytes.
    text = body[:4 * EXCERPT].decode("utf-8", errors="replace")
    if len(text) <= EXCERPT and len(body) <= 4 * EXCERPT:
        return printable(text)
    return printable(text[:EXCERPT]) + f"… ({len(body)} bytes)"


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    headers: dict[str, str]
    body: bytes
    # Signed by the client and sent unaltered: a reproduction can re-sign it with curl.
    signed_as_sent: bool = True


@dataclass(frozen=True)
class Response:
    status: int
    headers: dict[str, str]  # keys lower-cased
    body: bytes

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    @property
    def json(self) -> object | None:
        """The body parsed as JSON, or None when it is empty or not JSON."""
        try:
            return json.loads(self.body) if self.body.strip() else None
        except ValueError:
            return None


@dataclass(frozen=True)
class Exchange:
    operation: str
    request: Request
    response: Response | None
    elapsed: float
    transport_error: str | None = None  # timeout, reset, refused: set when response is None
    region: str = field(default="us-east-1", compare=False)
    # What the earlier attempts of this request got, each retried after (ecrconf.wire.retries): error types,
    # "HTTP 503", "ConnectionResetError". Empty when the first attempt was the last.
    retried: tuple[str, ...] = field(default=(), compare=False)

    def with_retries(self, earlier: tuple[str, ...]) -> Exchange:
        """This exchange as the last attempt of a request whose earlier attempts got earlier."""
        return replace(self, retried=earlier)

    def retry_note(self) -> str:
        """"retried 2 times (ThrottlingException ×2)", or "" when the request was sent once."""
        if not self.retried:
            return ""
        what = ", ".join(f"{name} ×{n}" if n > 1 else name for name, n in Counter(self.retried).items())
        times = "once" if len(self.retried) == 1 else f"{len(self.retried)} times"
        return f"retried {times} ({printable(what)})"

    @property
    def timed_out(self) -> bool:
        """No answer came before the read (or connect) timeout."""
        return self.response is None and (self.transport_error or "").startswith(TIMED_OUT)

    @property
    def status(self) -> int | None:
        return self.response.status if self.response else None

    @property
    def body(self) -> object | None:
        return self.response.json if self.response else None

    def sent(self) -> str:
        """The request in one short, secret-free line."""
        return f"{self.request.method} {self.request.url} {self.operation} {_excerpt(self.request.body)}"

    def got(self) -> str:
        """The response (or its absence) in one short line."""
        retried = f" [{self.retry_note()}]" if self.retried else ""
        if self.response is None:
            return f"no response ({printable(str(self.transport_error))}) after {self.elapsed:.2f}s{retried}"
        ctype = printable(self.response.header("content-type") or "no Content-Type")
        return f"HTTP {self.response.status} ({ctype}) {_excerpt(self.response.body)}{retried}"

    def describe(self) -> str:
        """A short, secret-free account of the exchange for a failure message."""
        return f"sent: {self.sent()}\ngot:  {self.got()}"

    def as_curl(self) -> str:
        """A command that sends this request again; credentials come from the environment."""
        req = self.request
        parts = ["curl", "-sS", "-i", "-X", req.method]
        skip = {"content-length", "host", "accept-encoding", "connection", "user-agent", "accept"}
        if req.signed_as_sent:
            parts += ["--aws-sigv4", f"aws:amz:{self.region}:ecr",
                      "--user", _Env("$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY")]
            skip |= {"authorization", "x-amz-date", "x-amz-content-sha256"}
            if any(k.lower() == "x-amz-security-token" for k in req.headers):
                parts += ["-H", _Env("x-amz-security-token: $AWS_SESSION_TOKEN")]
                skip.add("x-amz-security-token")
        for name, value in req.headers.items():
            if name.lower() not in skip:
                parts += ["-H", f"{name}: {redact_header(name, value)}"]
        note = ""
        if len(req.body) > CURL_BODY_LIMIT:  # a reproduction, not a copy: name the body instead
            parts += ["--data-binary", "@request-body"]
            note = f"  # request-body: the {len(req.body)} bytes sent, starting {_excerpt(req.body[:120])!r}"
        elif req.body:
            parts += ["--data-binary", req.body.decode("utf-8", errors="replace")]
        parts.append(req.url)
        return " ".join(_quote(p) for p in parts) + note


class _Env(str):
    """A word that names environment variables: double-quoted so that the shell expands them."""


def _quote(part: str) -> str:
    return f'"{part}"' if isinstance(part, _Env) else shlex.quote(part)
