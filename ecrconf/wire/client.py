"""The signed client: the only place where HTTP and SigV4 appear.

``EcrClient.call`` sends one operation and returns an ``Exchange``; it never raises for what the
target does (timeouts, resets, HTML, garbage): those are recorded in the exchange for the checks, except
for a target that still answers "try again later" after the last retry (``retries.RetriesExhausted``).
``prepare`` and ``send`` are apart so that a signed request can be altered before it is sent.
Answers that say "try again later" are sent again (``ecrconf.wire.retries``), and requests are paced to
a rate when one is set (``ecrconf.wire.pacing``).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests
from requests.structures import CaseInsensitiveDict
from requests_aws4auth import AWS4Auth

from ecrconf.wire import interrupts, protocol, recording, retries
from ecrconf.wire.exchange import TIMED_OUT, Exchange, Request, Response, printable

_sent = 0
_sent_lock = threading.Lock()


_timeouts_in_a_row = 0


def timeouts_in_a_row() -> int:
    """How many requests in a row, the latest included, got no answer before the read timeout."""
    return _timeouts_in_a_row


def requests_sent() -> int:
    """Requests sent by every client in this process so far."""
    return _sent


@dataclass(frozen=True)
class Credentials:
    access_key: str
    secret_key: str
    token: str | None = None

    def __repr__(self) -> str:  # never print a secret, even by accident
        return f"Credentials(access_key={self.access_key[:4]}…)"


class EcrClient:
    def __init__(self, endpoint: str, region: str, credentials: Credentials, *,
                 timeout: float = 30.0, connect_timeout: float = 5.0, retry: retries.Policy | None = None,
                 pace: Callable[[], None] | None = None):
        """retry: how retryable answers are sent again (default: retries.Policy()); pace: called before
        every request sent, to hold the run to a rate (ecrconf.wire.pacing.Pace)."""
        self.endpoint = endpoint.rstrip("/") + "/"
        self.retry = retry or retries.Policy()
        self.pace = pace
        self.region = region
        self.credentials = credentials
        self.timeout = (connect_timeout, timeout)
        self._local = threading.local()
        self._auth: AWS4Auth | None = None

    @property
    def _session(self) -> requests.Session:
        # requests.Session is not guaranteed thread-safe: one per thread.
        if not hasattr(self._local, "session"):
            session = requests.Session()
            # The proxy settings (HTTPS_PROXY, NO_PROXY, ...) read once: requests would read the whole
            # environment again three times a request, about 1.7 ms of the harness's time each.
            session.proxies = requests.utils.get_environ_proxies(self.endpoint)
            session.trust_env = False
            self._local.session = session
        return self._local.session

    def auth(self, credentials: Credentials | None = None) -> AWS4Auth:
        """A SigV4 signer for ECR in the client's region: the client's own (built once) or credentials'."""
        if credentials is not None:
            return AWS4Auth(credentials.access_key, credentials.secret_key, self.region, "ecr",
                            session_token=credentials.token)
        if self._auth is None:
            self._auth = self.auth(self.credentials)
        return self._auth

    def prepare(self, operation: str, payload: object = None, *, body: bytes | None = None,
                headers: dict[str, str | None] | None = None, sign: bool = True) -> requests.PreparedRequest:
        """A POST of operation, signed unless sign is False. body overrides the JSON payload; a header
        given as None is left out.

        The same request as ``Session.prepare_request`` makes (the session's default headers, then these),
        without its merging of cookies, hooks and settings that this client never uses."""
        if body is None:
            body = json.dumps({} if payload is None else payload).encode()
        merged = CaseInsensitiveDict(self._session.headers)
        merged.update({"Content-Type": protocol.CONTENT_TYPE, "X-Amz-Target": protocol.target_header(operation)})
        merged.update(headers or {})
        prepared = requests.PreparedRequest()
        prepared.prepare(method="POST", url=self.endpoint, data=body, auth=self.auth() if sign else None,
                         headers=CaseInsensitiveDict({k: v for k, v in merged.items() if v is not None}))
        return prepared

    def send(self, prepared: requests.PreparedRequest, operation: str, *, altered: bool = False) -> Exchange:
        """Send a prepared request as it is; altered=True marks one changed after signing. A retryable answer
        (ecrconf.wire.retries) sends it again; a dropped connection only when ``call`` built the request,
        since it can be the very answer a check's deliberately broken request is judged by.

        Raises interrupts.Interrupted when a stop signal is pending (every request is a safe point), and
        retries.RetriesExhausted when the last attempt still got a retryable answer."""
        built_by_call = getattr(self._local, "built", None) is prepared
        self._local.built = None
        return self.retry.send(lambda: self._send_once(prepared, operation, altered), dropped=built_by_call,
                               control=self._control)

    def _control(self) -> Exchange:
        """A read-only request sent once: is the target throttling everything, or one request only?"""
        return self._send_once(self.prepare(*retries.CONTROL), retries.CONTROL[0], False)

    def _send_once(self, prepared: requests.PreparedRequest, operation: str, altered: bool) -> Exchange:
        interrupts.check()
        if self.pace is not None:
            self.pace()
        body = prepared.body or b""
        if isinstance(body, str):
            body = body.encode()
        signed = "Authorization" in prepared.headers and not altered
        request = Request(prepared.method or "POST", prepared.url or self.endpoint, dict(prepared.headers),
                          body, signed_as_sent=signed)
        global _sent, _timeouts_in_a_row
        with _sent_lock:
            _sent += 1
        start = time.monotonic()
        try:
            raw = self._session.send(prepared, timeout=self.timeout, allow_redirects=False)
            response = Response(raw.status_code, {k.lower(): v for k, v in raw.headers.items()}, raw.content)
            error = None
        except requests.exceptions.Timeout:
            response, error = None, f"{TIMED_OUT} (connect {self.timeout[0]}s, read {self.timeout[1]}s)"
        except requests.exceptions.ConnectionError as exc:
            reason = _reason(exc)
            # Refused or unresolvable: nothing was sent. Otherwise the target dropped the connection.
            never = reason.startswith(("ConnectionRefusedError", "gaierror", "NameResolutionError"))
            response, error = None, f"{'could not connect' if never else 'connection failed'}: {reason}"
        except requests.exceptions.RequestException as exc:
            response, error = None, f"request failed: {_reason(exc)}"
        exchange = Exchange(operation, request, response, time.monotonic() - start, error, region=self.region)
        _timeouts_in_a_row = _timeouts_in_a_row + 1 if exchange.timed_out else 0
        protocol.note_answer(exchange)
        recording.observe(exchange)
        return exchange

    def call(self, operation: str, payload: object = None) -> Exchange:
        """operation with payload, signed and sent (send): a well-formed request, so a connection dropped
        before any answer is retried too."""
        prepared = self.prepare(operation, payload)
        self._local.built = prepared  # for send: a request of this client's own making
        return self.send(prepared, operation)


def _reason(exc: BaseException) -> str:
    """The innermost cause of a requests error, in one printable line (it can quote the target's bytes,
    as http.client's BadStatusLine does: see ecrconf.wire.exchange.printable)."""
    while exc.__context__ is not None and exc.__context__ is not exc:
        exc = exc.__context__
    return printable(f"{type(exc).__name__}: {exc}".splitlines()[0][:200])
