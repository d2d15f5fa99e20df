"""SigV4 checking of a received request: botocore's SigV4Auth recomputes the signature.

Only the framing is done here (which headers were signed, the credential scope, the clock); the
canonical request, the string to sign and the signature are botocore's.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from urllib.parse import parse_qs, urlsplit

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.compat import HTTPHeaders
from botocore.credentials import Credentials

from selftest.reference.behaviour import SIGV4_CHECKS, Behaviour
from selftest.reference.errors import error, messages

ALGORITHM = "AWS4-HMAC-SHA256"
SERVICE = "ecr"
BASIC_ISO = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class KeyPair:
    access_key: str
    secret_key: str
    token: str | None = None

    def __repr__(self) -> str:
        return f"KeyPair(access_key={self.access_key!r})"


@dataclass(frozen=True)
class Received:
    """A request as it reached the server."""

    method: str
    path: str  # as sent on the request line, query included
    headers: tuple[tuple[str, str], ...]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass(frozen=True)
class _Authorization:
    credential: list[str]  # access key, date, region, service, terminator
    signed_headers: list[str]
    signature: str


class _AsSigned(SigV4Auth):
    """botocore's SigV4, over exactly the headers the client says it signed."""

    def __init__(self, credentials: Credentials, service: str, region: str, signed: list[str]):
        super().__init__(credentials, service, region)
        self._signed = signed

    def headers_to_sign(self, request: AWSRequest) -> HTTPHeaders:
        chosen = HTTPHeaders()
        for name in self._signed:
            for value in request.headers.get_all(name) or ():
                chosen[name] = value
        return chosen


def verify(received: Received, keys: KeyPair, region: str, now: datetime, behaviour: Behaviour) -> None:
    """Raise the EcrError real AWS answers for this request's authentication, if any.

    A check named in ``behaviour.unchecked`` is skipped (a breakage); an unchecked region or service
    is taken from the credential scope, as an endpoint that serves any of them would.
    """
    status = behaviour.auth_error_status
    checked = set(SIGV4_CHECKS) - behaviour.unchecked
    header = received.header("Authorization")
    if header and "X-Amz-Algorithm" in parse_qs(urlsplit(received.path).query):
        raise error("both-auth", status=status)
    if not header:
        if "presence" not in checked:
            return
        raise error("missing-token", status=status)
    timestamp = _timestamp(received)
    auth = _parse(header, timestamp is not None, status)
    _check_clock(timestamp, now, behaviour)
    access_key, scope_date, scope_region, scope_service, _ = auth.credential
    stamp = timestamp.strftime(BASIC_ISO)
    if scope_date != stamp[:8]:
        raise error("scope-date-mismatch", status=status, scope=scope_date, date=stamp[:8], timestamp=stamp)
    if scope_region != region and "region" in checked:
        raise error("wrong-region", status=status, region=scope_region)
    if scope_service != SERVICE and "service" in checked:
        raise error("wrong-service", status=status, service=SERVICE)
    if ((access_key != keys.access_key and "access-key" in checked)
            or (received.header("X-Amz-Security-Token") != keys.token and "session-token" in checked)):
        raise error("unrecognized-client", status=status)
    if "host" not in auth.signed_headers:
        raise error("host-not-signed", status=status)
    claimed = received.header("X-Amz-Content-SHA256")
    if claimed is not None and claimed != hashlib.sha256(received.body).hexdigest() and "payload-hash" in checked:
        raise error("payload-hash-mismatch", status=status)
    if "signature" in checked:
        _check_signature(received, auth, keys, scope_service, scope_region, stamp, status)


def _parse(header: str, dated: bool, status: int) -> _Authorization:
    texts = messages()["incomplete_signature"]
    algorithm, _, rest = header.strip().partition(" ")
    params = {}
    for part in rest.split(","):
        key, sep, value = part.strip().partition("=")
        if sep:
            params[key] = value
    problems = [texts[name] for name in ("Credential", "Signature", "SignedHeaders") if not params.get(name)]
    if not dated:
        problems.append(texts["date"])
    credential = params.get("Credential", "").split("/")
    if not problems and (len(credential) != 5 or credential[4] != "aws4_request" or not all(credential)):
        problems.append(texts["credential-form"].format(credential=params["Credential"]))
    if not problems and algorithm != ALGORITHM:
        problems.append(texts["algorithm"].format(algorithm=algorithm))
    if problems:
        raise error("incomplete-signature", status=status, problems="".join(problems), header=header)
    return _Authorization(credential, params["SignedHeaders"].lower().split(";"), params["Signature"])


def _timestamp(received: Received) -> datetime | None:
    amz = received.header("X-Amz-Date")
    if amz:
        try:
            return datetime.strptime(amz, BASIC_ISO).replace(tzinfo=timezone.utc)
        except ValueError:
            return None
    date = received.header("Date")
    if date:
        try:
            return parsedate_to_datetime(date).astimezone(timezone.utc)
        except (TypeError, ValueError):
            return None
    return None


def _check_clock(timestamp: datetime, now: datetime, behaviour: Behaviour) -> None:
    skew = behaviour.clock_skew
    fields = {"date": timestamp.strftime(BASIC_ISO), "now": now.strftime(BASIC_ISO),
              "minutes": int(skew.total_seconds() // 60)}
    if timestamp < now - skew and "expiry" not in behaviour.unchecked:
        raise error("signature-expired", status=behaviour.auth_error_status,
                    bound=(now - skew).strftime(BASIC_ISO), **fields)
    if timestamp > now + skew and "not-yet-current" not in behaviour.unchecked:
        raise error("signature-not-yet-current", status=behaviour.auth_error_status,
                    bound=(now + skew).strftime(BASIC_ISO), **fields)


def _check_signature(received: Received, auth: _Authorization, keys: KeyPair, service: str, region: str,
                     stamp: str, status: int) -> None:
    host = received.header("Host") or ""
    request = AWSRequest(method=received.method, url=f"http://{host}{received.path}", data=received.body)
    for name, value in received.headers:
        request.headers[name] = value
    request.context["timestamp"] = stamp
    signer = _AsSigned(Credentials(keys.access_key, keys.secret_key, keys.token), service, region, auth.signed_headers)
    canonical = signer.canonical_request(request)
    string_to_sign = signer.string_to_sign(request, canonical)
    expected = signer.signature(string_to_sign, request)
    if not hmac.compare_digest(expected, auth.signature):
        raise error("signature-mismatch", status=status, canonical=canonical, string_to_sign=string_to_sign)
