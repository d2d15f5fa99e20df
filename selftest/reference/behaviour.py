"""The named knobs of the reference endpoint. The defaults are the strict, real-ECR behaviour.

A conformant variant or a named breakage is a ``Behaviour`` with some knobs turned, handed to the
server; nothing else about the server changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Mapping

from selftest.reference.manifests import INDEXES

ERROR_TYPE_STYLES = ("plain", "namespaced", "suffixed")
JSON_11 = "application/x-amz-json-1.1"
MESSAGE_KEYS = ("message", "Message")
SCAN_OUTCOMES = ("COMPLETE", "FAILED")
REQUEST_ID_STYLES = ("uuid4", "uuid1", "absent")
TOKEN_FORMATS = ("base64", "hex")  # how paging.py spells an opaque nextToken
# The checks of a signature the reference makes, by name; ``unchecked`` skips some (see sigv4.verify).
SIGV4_CHECKS = ("presence", "expiry", "not-yet-current", "region", "service", "access-key", "session-token",
                "payload-hash", "signature")
# Above the largest body ECR's model allows (an UploadLayerPart of 20 MiB, base64: 27,962,028 bytes).
MAX_BODY_BYTES = 28 * 1024 * 1024


@dataclass(frozen=True)
class Behaviour:
    # How "__type" (and X-Amzn-ErrorType) spell an error: "Name" (research 1.1), "com.amazonaws.ecr#Name",
    # or "Name:http://internal.amazon.com/coral/com.amazon.coral.service/" (research 1.8, 1.9).
    error_type_style: str = "plain"
    message_key: str = "message"
    error_type_header: bool = False  # research 1.6: real Coral JSON errors carry none
    error_type_in_body: bool = True  # False (with error_type_header): the type only in the header (research 1.9)
    # The body member that names the error: "__type" or "code" (research 1.9); any other is a breakage.
    error_type_key: str = "__type"
    # Members added to every JSON response body, success or error; clients must ignore them.
    extra_members: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    json_indent: int | None = None  # None: compact
    json_sort_keys: bool = False
    # imageScanStatus.description in the StartImageScan answer; real ECR sends none (research 5.1).
    scan_description: str | None = None
    request_id_style: str = "uuid4"  # research 1.5: lower-case UUID
    request_id_header: str = "x-amzn-RequestId"  # header names are case-insensitive (Firehose: x-amzn-requestid, 1.7)
    empty_body_is_no_input: bool = False  # True: an empty body reads as {} (Smithy aws-json allows it)
    auth_error_status: int = 400  # research 2.13, 2.16: 400 (gap 9.3: 403 not ruled out)
    clock_skew: timedelta = timedelta(minutes=15)  # research 2.13
    scan_duration: float = 0.3  # seconds from IN_PROGRESS to COMPLETE
    scan_outcome: str = "COMPLETE"  # or "FAILED", as for an unsupported OS (research 4.7)
    # Bodies above this are refused with 413 before anything else (None: no limit). Real AWS front ends
    # refuse oversized requests (dynalite, written against live DynamoDB: 413 above 16 MiB).
    max_body_bytes: int | None = MAX_BODY_BYTES
    # Conformant variants of the list and policy answers (ops N.1, N.2, P.1): what a client must not rely on.
    page_size_cap: int | None = None  # serve pages of at most this many items, fewer than asked (N.2: "up to")
    token_format: str = "base64"  # another opaque nextToken encoding ("hex"); N.2: nextToken is opaque
    reverse_list_order: bool = False  # list operations give their items in another stable order (newest first)
    # SetRepositoryPolicy & co. re-serialise the policy with 4-space json.dumps whitespace instead of
    # Jackson's pretty printer (P.1 says "re-serialised": only the parsed JSON is promised).
    policy_whitespace: bool = False
    # Members the model marks optional are left out of successful answers when their value is empty ([] or
    # {}) below the top level (e.g. findingSeverityCounts {}, appliedScanFilters []); see pipeline.py.
    omit_optional_members: bool = False

    # Breakages: each knob turned away from its default makes the reference deviate from real ECR.
    error_messages: bool = True  # False: error bodies carry no message
    response_content_type: str = JSON_11
    # HTTP status per error type, overriding the one real ECR sends (e.g. {"SerializationException": 500}).
    error_statuses: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    reject_unknown_members: bool = False  # refuse top-level members the model does not know
    coerce_scalars: bool = False  # read a number or an object given for a top-level string as its text
    refuse_non_post: bool = True
    refuse_other_content_types: bool = True
    match_target_prefix: bool = True  # False: route by what follows the last "." of X-Amz-Target
    unchecked: frozenset[str] = frozenset()  # names from SIGV4_CHECKS that are skipped
    # Error types renamed on the wire, e.g. {"LimitExceededException": "ThrottlingException"}.
    error_types: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    # Renamed only for operations that model the new name (a conformant choice between modelled errors).
    modelled_error_types: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    # Input constraints replacing the model's: "Operation" or "Operation.member.path" -> {keyword: value},
    # e.g. {"StartImageScan.imageId.imageTag": {"maxLength": 301}}.
    input_constraints: Mapping[str, Mapping[str, object]] = field(
        default_factory=lambda: MappingProxyType({}), hash=False)
    # Rules of fixtures/constraints/observed.json not enforced, as "Operation.member.path".
    skipped_rules: frozenset[str] = frozenset()
    # Members set in, or left out of, an operation's successful answers ("Operation.member.path").
    answer_members: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    answer_omits: frozenset[str] = frozenset()
    unscannable_media_types: frozenset[str] = INDEXES  # refused by StartImageScan (research 4.5, 4.6)
    scan_quota: bool = True  # False: an image can be scanned again at once
    scan_on_push: bool = True  # False: the repository setting is kept, but a push starts no scan
    findings_visible: bool = True  # False: DescribeImageScanFindings never finds a scan
    # Seconds StartImageScan lets other requests in between its quota check and recording the scan.
    scan_race_window: float = 0.0

    # Breakages of pagination (paging.py; ops N.1, N.2, N.5).
    page_size_ignored: bool = False  # maxResults is not read: every page is as long as the default (100)
    endless_pages: bool = False  # the last page has a nextToken too, to an empty page past the end, and so on
    cycling_pages: bool = False  # the last page's nextToken leads back to the first page
    # The next page starts this many items after the end of the page given: -1 lists an item again, 1 skips one.
    next_page_shift: int = 0
    garbled_token_restarts: bool = False  # a nextToken it did not make reads as the first page's

    def __post_init__(self) -> None:
        for name, allowed in (("error_type_style", ERROR_TYPE_STYLES), ("message_key", MESSAGE_KEYS),
                              ("request_id_style", REQUEST_ID_STYLES), ("scan_outcome", SCAN_OUTCOMES),
                              ("token_format", TOKEN_FORMATS)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}={getattr(self, name)!r} is not one of {allowed}")
        if self.page_size_cap is not None and self.page_size_cap < 1:
            raise ValueError(f"page_size_cap={self.page_size_cap} must be at least 1")
        if not set(self.unchecked) <= set(SIGV4_CHECKS):
            raise ValueError(f"unchecked={sorted(self.unchecked)} names checks not in {SIGV4_CHECKS}")
        if not (self.error_type_in_body or self.error_type_header):
            raise ValueError("an error type must be sent somewhere: error_type_in_body or error_type_header")
        for name in ("extra_members", "error_statuses", "error_types", "modelled_error_types", "input_constraints",
                     "answer_members"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        for name in ("unchecked", "skipped_rules", "answer_omits", "unscannable_media_types"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
