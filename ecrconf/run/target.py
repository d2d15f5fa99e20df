"""What the run is pointed at: endpoint, region, credentials, name; and the embedded moto server.

Every way the target can be unusable ends the run with one line and its own exit status.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from ecrconf.wire.client import Credentials
from ecrconf.wire.exchange import printable

# pytest uses 0-5; these tell apart why a run could not start.
EXIT_NO_CREDENTIALS = 6
EXIT_UNREACHABLE = 7
EXIT_NOT_ECR = 8
EXIT_NEEDS_CONSENT = 9

EMBEDDED_CREDENTIALS = Credentials("testing", "testing")

# A target name is a file name under expectations/ (NAME.toml): no separator, no leading dot, so that
# no name reaches outside that directory, and short enough for any file system (255 bytes a name).
TARGET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")


def is_target_name(name: str) -> bool:
    """Whether name may name a target (TARGET_NAME: letters, digits, '.', '_', '-', at most 100)."""
    return TARGET_NAME.fullmatch(name) is not None


class TargetUnusable(Exception):
    def __init__(self, message: str, exit_status: int):
        super().__init__(message)
        self.exit_status = exit_status


@dataclass(frozen=True)
class Target:
    endpoint: str
    region: str
    name: str  # picks expectations/<name>.toml; "" when unknown
    embedded: bool = False

    def redacted_endpoint(self) -> str:
        parts = urlsplit(self.endpoint)
        host = parts.hostname or ""
        if ":" in host:  # an IPv6 address keeps its brackets: http://[::1]:80
            host = f"[{host}]"
        netloc = host + (f":{parts.port}" if parts.port else "")
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def strip_userinfo(url: str) -> tuple[str, bool]:
    """(url without any ``user:password@`` part, whether it had one).

    SigV4 credentials come from the AWS chain, never from the URL; requests would otherwise turn
    URL credentials into a Basic ``Authorization`` header, and every echo of the URL would show them.
    """
    parts = urlsplit(url)
    _, at, hostport = parts.netloc.rpartition("@")
    if not at:
        return url, False
    return urlunsplit((parts.scheme, hostport, parts.path, parts.query, parts.fragment)), True


def validate_endpoint(endpoint: str) -> str:
    """The endpoint as the suite uses it: an http(s) URL with a host and a valid port, no userinfo, no
    query, no fragment, its host in ASCII (the ``idna`` codec, IDNA 2003: an internationalised name becomes
    its ``xn--`` form and the ideographic and fullwidth full stops U+3002, U+FF0E, U+FF61 become dots, so
    that ``api．ecr．us-east-1．amazonaws．com`` is the AWS host it names; requests would refuse it).

    Raises ValueError with a one-line message that never repeats the URL's userinfo (nor, when the URL
    is malformed, anything of the URL but its scheme: a mistyped password may sit anywhere in it), nor its
    query (a presigned URL carries a session token there).
    """
    try:
        endpoint, _ = strip_userinfo(endpoint)
        parts = urlsplit(endpoint)
    except ValueError:  # an unclosed "[" of an IPv6 address
        raise ValueError("--endpoint is not a valid URL (an IPv6 address must be closed by ']')") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        shown = f"scheme {parts.scheme!r}" if parts.scheme else "no scheme"
        raise ValueError(f"--endpoint must be an http:// or https:// URL with a host (got {shown})")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"--endpoint has an invalid port (host {printable(parts.hostname)})") from None
    if parts.query or parts.fragment:
        raise ValueError(f"--endpoint must have no query string and no fragment (host {printable(parts.hostname)})")
    if ":" in parts.hostname:  # an IPv6 address, already ASCII: kept with its brackets
        return endpoint
    try:
        host = parts.hostname.encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError(f"--endpoint host {printable(parts.hostname)!r} is not a valid host name "
                         "(an empty label, or one longer than 63 characters?)") from None
    netloc = host + (f":{port}" if port is not None else "")
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@functools.cache
def aws_dns_suffixes() -> frozenset[str]:
    """Every DNS suffix of every AWS partition, lower-case: standard, FIPS, dual-stack, China, GovCloud,
    ISO, EUSC. Read from botocore's own data (partitions.json and endpoints.json, through its loader),
    so a botocore update that adds a partition adds its suffixes here."""
    from botocore.loaders import create_loader
    loader = create_loader()
    found: set[str] = set()
    for partition in loader.load_data("partitions")["partitions"]:
        outputs = partition.get("outputs", {})
        found.update(outputs.get(key) for key in ("dnsSuffix", "dualStackDnsSuffix"))
    for partition in loader.load_data("endpoints")["partitions"]:
        found.add(partition.get("dnsSuffix"))
        found.update(variant.get("dnsSuffix") for variant in partition.get("defaults", {}).get("variants", []))
    return frozenset(suffix.lower() for suffix in found if suffix)


def is_real_aws(endpoint: str) -> bool:
    """True when the endpoint's host lies under an AWS partition's DNS suffix (see aws_dns_suffixes).

    Case-insensitive; a trailing dot (a fully qualified name) is the same host. Emulator hosts such as
    ``localhost.localstack.cloud`` and loopback addresses are not AWS.
    """
    host = (urlsplit(endpoint).hostname or "").lower().rstrip(".")
    if host == "localhost" or _is_ip_address(host):  # no AWS name: botocore's data need not be read
        return False
    return any(host == suffix or host.endswith("." + suffix) for suffix in aws_dns_suffixes())


def resolve_region(option: str | None) -> str:
    if option:
        return option
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION"):
        if os.environ.get(name):
            return os.environ[name]
    import botocore.session
    return botocore.session.Session().get_config_variable("region") or "us-east-1"


def _is_ip_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


# The first link of botocore's chain (EnvProvider), read without importing botocore (a fifth of a second of
# every run's start-up): both keys set, no profile asked for, no expiry (refreshable: left to botocore).
_ENV_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")
_ENV_TOKENS = ("AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN")  # botocore's order: the first one set wins


def _from_environment(profile: str | None) -> Credentials | None:
    env = os.environ
    if profile is not None or not all(env.get(k) for k in _ENV_KEYS) or env.get("AWS_CREDENTIAL_EXPIRATION"):
        return None
    token = next((env[k] for k in _ENV_TOKENS if env.get(k)), None)
    return Credentials(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"], token)


def resolve_credentials(profile: str | None) -> Credentials:
    """The standard AWS chain (environment, shared files and profiles, session tokens, ...), as botocore
    resolves it; an explicit profile skips the environment's keys, as in botocore.

    Raises TargetUnusable (exit EXIT_NO_CREDENTIALS) when the chain finds nothing or fails."""
    found_in_env = _from_environment(profile)
    if found_in_env is not None:
        return found_in_env
    import botocore.exceptions
    import botocore.session
    try:
        found = botocore.session.Session(profile=profile).get_credentials()
        frozen = found.get_frozen_credentials() if found else None
    except botocore.exceptions.BotoCoreError as exc:
        raise TargetUnusable(f"cannot load AWS credentials: {exc}", EXIT_NO_CREDENTIALS) from None
    if frozen is None or not frozen.access_key:
        raise TargetUnusable(
            "no AWS credentials found for --endpoint: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, "
            "AWS_PROFILE or --aws-profile (any value works for most emulators)", EXIT_NO_CREDENTIALS)
    return Credentials(frozen.access_key, frozen.secret_key, frozen.token)


class EmbeddedMoto:
    """One moto server in this process on 127.0.0.1 and a port the OS picks."""

    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer
        logging.getLogger("werkzeug").disabled = True  # request log and tracebacks of moto's 500s
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)

    def start(self) -> str:
        self._server.start()
        host, port = self._server.get_host_and_port()
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.stop()

    @staticmethod
    def name() -> str:
        from importlib.metadata import version
        return f"moto-{version('moto')}"


def probe(client) -> None:
    """One read-only call: the endpoint must answer, and answer in awsJson1_1."""
    from ecrconf.wire import protocol, retries
    try:
        exchange = client.call("DescribeRepositories", {"maxResults": 1})
    except retries.RetriesExhausted as exhausted:  # it answers, if only "slow down": the checks will tell
        exchange = exhausted.exchange
    if exchange.response is None:
        raise TargetUnusable(f"cannot reach {client.endpoint}: {exchange.transport_error}", EXIT_UNREACHABLE)
    if not isinstance(exchange.body, dict) and protocol.media_type(exchange) != protocol.CONTENT_TYPE:
        ctype = printable(exchange.response.header("content-type") or "no Content-Type")
        raise TargetUnusable(
            f"{client.endpoint} answered DescribeRepositories with HTTP {exchange.status} ({ctype}), "
            "not awsJson1_1: is this an ECR endpoint?", EXIT_NOT_ECR)
