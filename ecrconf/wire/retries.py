"""Answers that say "try again later", sent again with bounded exponential backoff and jitter.

Retried (``retryable``): an error type botocore's standard retry mode treats as throttling or transient
(``botocore.retries.standard``: ``ThrottlingException``, ``TooManyRequestsException``, ``RequestTimeout``,
...); HTTP 429, 502, 503 and 504, unless the answer names an error the ECR model gives the operation (then
it is a verdict on that error's status); and, for a request the client built itself (``EcrClient.call``), a
connection dropped before any answer came, once (a pooled connection the far end had closed: a second drop
means the target is down or refuses the request, which the checks report as no answer). Real ECR throttles
its JSON API with HTTP 400 ``ThrottlingException`` "Rate exceeded" (docs/evidence/real-ecr-behaviour.md 2.17).

Never retried, because each is a verdict the suite must report: a validation answer (400 of any other
type), a 500 (``ServerException``, or an emulator's crash: moto answers 500 HTML for operations it lacks),
a timeout (the run has its own rule for a target that stops answering), and ``LimitExceededException``,
which botocore counts as throttling but ECR sends for a quota (a second scan of an image within 24 hours:
real-ecr-behaviour.md 4.4, "users find it looks like throttling").

Bounded: at most ``max_retries`` re-sends (default ``DEFAULT_MAX_RETRIES``; 0: none); each wait is
botocore's standard-mode delay (``ExponentialBackoff``: full jitter, ``rand(0,1) * min(scale * 2**i,
MAX_WAIT)``, scale 1 s for throttling and 50 ms otherwise, raised to an ``x-amz-retry-after`` header's value
within 5 s), and the waits of one request add up to at most ``MAX_TOTAL_WAIT`` seconds. A request still
answered so after its last attempt raises ``RetriesExhausted``: the check that sent it has no verdict (an
error, never a failure). One whose last attempt got no answer at all is returned as such, as it would be
unretried. Every exchange records the answers it was retried after (``Exchange.retried``).

Unless the target is not throttling at all: before giving up, the client sends one read-only control
request (``CONTROL``). When that is answered with no retryable answer, the target answers other requests
and only this one "throttled", after seconds of backoff that refill any token bucket: that is its answer to
this request, returned to be judged (a target that answers a second scan of an image ``ThrottlingException``
instead of ``LimitExceededException`` deviates; it is not busy). The price: on a real account, an API whose
own rate limit stays exhausted through the backoff while DescribeRepositories is not gets a verdict on its
throttled answer; ``--max-rps`` keeps a run below such limits.
"""

from __future__ import annotations

import functools
import random
import threading
import time
from collections.abc import Callable
from types import SimpleNamespace

from ecrconf.spec import schemas
from ecrconf.wire import interrupts, protocol
from ecrconf.wire.exchange import Exchange

DEFAULT_MAX_RETRIES = 3
MAX_WAIT = 5.0  # seconds: the cap of one wait
MAX_TOTAL_WAIT = 20.0  # seconds: the cap of all waits of one request
RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})  # not 500: a crash is a verdict
CONTROL = ("DescribeRepositories", {"maxResults": 1})  # the read-only control request (module docstring)
# Error types botocore retries that ECR uses for something else (see the module docstring).
NOT_THROTTLING_ON_ECR = frozenset({"LimitExceededException"})
# What a connection dropped before any answer looks like (the innermost cause, ecrconf.wire.client._reason).
_DROPPED = ("connection failed: ConnectionResetError", "connection failed: RemoteDisconnected",
            "connection failed: BrokenPipeError", "connection failed: ProtocolError")

_retried = 0
_retried_lock = threading.Lock()


class RetriesExhausted(Exception):
    """A request kept getting retryable answers until its last attempt: no verdict can rest on it.
    ``exchange`` is the last attempt's (its ``retried`` names the earlier answers); ``only_throttled``: every
    attempt was answered as throttled, so the target carried none of them out."""

    def __init__(self, exchange: Exchange, *, only_throttled: bool = False):
        self.exchange = exchange
        self.only_throttled = only_throttled
        super().__init__(f"{exchange.operation}: no verdict: the target still answered {answer(exchange)} after "
                         f"{len(exchange.retried) + 1} attempts, {exchange.retry_note() or 'not retried'}\n"
                         f"{exchange.describe()}\nreproduce: {exchange.as_curl()}")


def retries_sent() -> int:
    """Requests this process sent again after a retryable answer, so far (every client)."""
    return _retried


@functools.cache
def _error_codes() -> tuple[frozenset[str], frozenset[str]]:
    """(throttling error types, transient error types) of botocore's standard retry mode, imported on first
    use: most runs never see an answer that needs them."""
    from botocore.retries import standard
    throttling = frozenset(standard.ThrottledRetryableChecker._THROTTLED_ERROR_CODES) - NOT_THROTTLING_ON_ECR
    return throttling, frozenset(standard.TransientRetryableChecker._TRANSIENT_ERROR_CODES)


def is_throttling(exchange: Exchange) -> bool:
    """An answer botocore reads as throttling (less NOT_THROTTLING_ON_ECR), or HTTP 429."""
    if exchange.status is None:
        return False
    return exchange.status == 429 or protocol.error_type(exchange) in _error_codes()[0]


def retryable(exchange: Exchange, *, dropped: bool) -> bool:
    """Whether exchange says "try again later" (module docstring); dropped: a connection dropped before
    any answer counts too."""
    if exchange.response is None:
        return dropped and (exchange.transport_error or "").startswith(_DROPPED)
    error = protocol.error_type(exchange)
    throttling, transient = _error_codes()
    if exchange.status >= 400 and error in throttling:
        return True
    if exchange.status in RETRYABLE_STATUSES:
        return error not in _modelled(exchange.operation)
    return exchange.status >= 400 and error in transient


def _modelled(operation: str) -> frozenset[str]:
    """The errors the ECR model gives operation (none for an operation it does not know)."""
    try:
        return frozenset(schemas.modelled_errors(operation))
    except KeyError:
        return frozenset()


def answer(exchange: Exchange) -> str:
    """What an attempt got, in a word or two: the error type, else the status, else the transport error."""
    if exchange.response is None:  # "connection failed: ConnectionResetError: [Errno 104] ..."
        parts = (exchange.transport_error or "no answer").split(": ")
        return parts[1] if len(parts) > 1 else parts[0][:60]
    return protocol.error_type(exchange) or f"HTTP {exchange.status}"


class Policy:
    """How often and how long a client tries one request again (module docstring). max_retries >= 0."""

    def __init__(self, max_retries: int = DEFAULT_MAX_RETRIES, *, sleep: Callable[[float], None] = time.sleep,
                 rand: Callable[[], float] = random.random):
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {max_retries}")
        self.max_retries = max_retries
        self._sleep = sleep
        self._rand = rand

    def send(self, attempt: Callable[[], Exchange], *, dropped: bool,
             control: Callable[[], Exchange] | None = None) -> Exchange:
        """attempt() until its answer is not retryable; the last exchange, with the answers it was
        retried after. After the last attempt (or when the next wait would pass MAX_TOTAL_WAIT), control()
        is sent once: the last exchange is returned when control's answer is not retryable, else
        RetriesExhausted is raised. Raises interrupts.Interrupted when a stop signal came meanwhile."""
        global _retried
        earlier: list[str] = []
        waited, throttled, drops_left = 0.0, True, 1 if dropped else 0
        while True:
            exchange = attempt()
            throttled = throttled and is_throttling(exchange)
            if earlier:
                exchange = exchange.with_retries(tuple(earlier))
            if not retryable(exchange, dropped=drops_left > 0):
                return exchange
            delay = self._delay(exchange, len(earlier) + 1)
            if len(earlier) >= self.max_retries or waited + delay > MAX_TOTAL_WAIT:
                if exchange.response is None:  # no answer: the checks' own no-verdict (TargetUnresponsive)
                    return exchange
                if control is not None and not retryable(control(), dropped=False):
                    return exchange  # only this request is "throttled": that is the target's answer to it
                raise RetriesExhausted(exchange, only_throttled=throttled)
            if exchange.response is None:
                drops_left -= 1
            earlier.append(answer(exchange))
            with _retried_lock:
                _retried += 1
            self._sleep(delay)
            waited += delay
            interrupts.check()

    def _delay(self, exchange: Exchange, attempt_number: int) -> float:
        """Seconds to wait after attempt_number (1-based) got exchange: botocore's ExponentialBackoff."""
        from botocore.retries.standard import ExponentialBackoff  # on first use: 40 ms of start-up otherwise
        backoff = ExponentialBackoff(max_backoff=MAX_WAIT, random=self._rand, throttling_detector=_Detector())
        headers = exchange.response.headers if exchange.response is not None else {}
        context = SimpleNamespace(attempt_number=attempt_number, exchange=exchange,
                                  http_response=SimpleNamespace(headers=headers) if exchange.response else None)
        return backoff.delay_amount(context)


class _Detector:
    """botocore's throttling detector interface, over an Exchange (for the 1-s scale of throttling waits)."""

    def is_throttling_error_from_context(self, context) -> bool:
        return is_throttling(context.exchange)
