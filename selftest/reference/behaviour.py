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
DIGEST_SOURCES = ("manifest", "reserialised", "layers")  # what PutImage hashes into an image's digest
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
    # The registry host of repositoryUri and proxyEndpoint: ECR's "<registry>.dkr.ecr.<region>.amazonaws.com"
    # when None; an emulator serves its registry on a host of its own (LocalStack:
    # "localhost.localstack.cloud:4566"), and a client pushes there.
    registry_host: str | None = None
    # A stand-in for a real account's rate limits, not a breakage: every throttle_every-th request (counted from
    # 1, across all clients) is answered 400 ThrottlingException "Rate exceeded" (research 2.17) before anything
    # else is read; 1 throttles every request. None: never.
    throttle_every: int | None = None

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

    # Breakages of operation semantics (suites/semantics): each knob turned makes one operation mean something
    # other than it does on real ECR.
    # Images (ops I.*, research 6.1, 6.4): PutImage stores the manifest re-serialised (keys sorted), so the digest
    # is not that of the bytes sent; a given imageDigest is not compared (getmoto/moto#6997); blobs PutImage
    # does not require to be in the repository ("config", "layers").
    manifest_reserialised: bool = False
    image_digest_checked: bool = True
    unchecked_blobs: frozenset[str] = frozenset()
    batch_absent_image_error: bool = False  # an absent image fails a batch call whole (ImageNotFoundException)
    image_failure_codes: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    delete_by_tag_removes_image: bool = False  # BatchDeleteImage of one tag deletes the image with all its tags
    describe_images_skips_unknown: bool = False  # DescribeImages answers the ids it finds, leaves out the rest
    list_images_filter_ignored: bool = False  # ListImages answers every image whatever filter.tagStatus says
    list_images_entry_per_image: bool = False  # ListImages gives a tagged image once, with one of its tags
    # Layers (ops L.2, L.4, L.6): a part is appended wherever it says it starts; CompleteLayerUpload stores the
    # bytes under the first digest given without computing theirs.
    layer_parts_checked: bool = True
    layer_digest_checked: bool = True
    # Policies (ops P.1, P.8, P.9, r3.16): the repository policy answered JSON-encoded a second time (a string);
    # lifecycle rule members the stored policy loses; policy kinds ("repository", "lifecycle") stored unparsed.
    policy_text_encoded_twice: bool = False
    lifecycle_dropped_members: frozenset[str] = frozenset()
    unparsed_policy_texts: frozenset[str] = frozenset()
    # Tags (ops T.1-T.6): a key tagged again keeps its first value; UntagResource removes nothing; the 50-tag
    # limit counts the tags of one request, not the repository's; aws: keys accepted; a malformed ARN is
    # answered RepositoryNotFoundException.
    retag_keeps_value: bool = False
    untag_ignored: bool = False
    tag_limit_per_request: bool = False
    reserved_tag_prefix_allowed: bool = False
    malformed_arn_not_found: bool = False
    # Registry (ops G.1, G.3): how long an authorization token is valid; the scheme of proxyEndpoint.
    authorization_token_lifetime: timedelta = timedelta(hours=12)
    proxy_endpoint_scheme: str = "https"
    # Repositories (ops R.5-R.7): CreateRepository of an existing name answers that repository; DeleteRepository
    # deletes a repository with images without force.
    create_existing_repository_succeeds: bool = False
    delete_non_empty_repository: bool = False
    # A conformant variant among them (ops P.8, P.13): lifecycle rules kept in the order put, not by rulePriority.
    lifecycle_rules_as_put: bool = False

    # Breakages of state across calls (suites/stateful): each answer looks right on its own, but what later calls
    # see is not what real ECR would have.
    # What PutImage hashes into an image's digest: "manifest", the exact manifest bytes (research 6.4);
    # "reserialised", the manifest re-serialised as compact JSON with sorted keys; "layers", its layer digests
    # joined (moto 5.2.5's Image._create_digest, when no imageDigest is given). The manifest is kept and answered as
    # sent, a given imageDigest is still compared with the digest of the bytes (so a correct push succeeds), and
    # every operation names the image by the digest computed.
    image_digest_source: str = "manifest"
    # PutImage of another manifest with a tag an image holds, on a repository where the tag is mutable, succeeds and
    # echoes the tag, but the tag stays on the image that had it: the new image is stored untagged.
    retag_keeps_old_image: bool = False
    # BatchGetImage by digest (no tag) still answers an image BatchDeleteImage removed; ListImages, DescribeImages
    # and the other operations no longer find it.
    deleted_images_still_got: bool = False
    # DeleteRepository with force answers success, but the images stay: a repository created again under the name
    # holds them (with their tags) at once.
    force_delete_keeps_images: bool = False
    # Uploads in progress (ops L.2, L.7, L.8): an upload id is found in any repository of the registry, not only
    # the one InitiateLayerUpload opened it in (UploadLayerPart and CompleteLayerUpload naming another repository
    # succeed, the blob landing in the repository named at completion); BatchCheckLayerAvailability's layerSize is
    # the size of the upload's last part, not of the whole blob; BatchCheckLayerAvailability reports a blob
    # AVAILABLE as soon as an open upload has received all its bytes, before CompleteLayerUpload; a
    # CompleteLayerUpload refused (parts too small, a digest that does not match) stores the bytes received first.
    upload_id_any_repository: bool = False
    layer_size_of_last_part: bool = False
    layer_available_before_complete: bool = False
    refused_layer_stored: bool = False
    # UploadLayerPart answers lastByteReceived as the count of bytes received (partLastByte + 1), not the offset of
    # the last byte (ops L.2: lastByteReceived == partLastByte, inclusive offsets); the part itself is kept right.
    last_byte_received_is_count: bool = False

    # Breakages of the generic operation families (suites/operations). Also input_constraints, whose member
    # paths step into list items ("BatchDeleteImage.imageIds.imageTag"), answer_members, answer_omits,
    # error_statuses and error_types.
    # Operations that answer a not-found error of theirs (a type ending in NotFoundException) with HTTP 200
    # and an empty answer ({}), as an emulator that returns whatever its lookup found, nothing.
    not_found_answered_empty: frozenset[str] = frozenset()
    # Operations answered UnknownOperationException, as a target that does not implement them: not a
    # deviation but "unsupported" (README); used to hold the suite to that outcome, not as a mutant.
    unimplemented_operations: frozenset[str] = frozenset()

    # Breakages of pagination (paging.py; ops N.1, N.2, N.5).
    page_size_ignored: bool = False  # maxResults is not read: every page is as long as the default (100)
    endless_pages: bool = False  # the last page has a nextToken too, to an empty page past the end, and so on
    cycling_pages: bool = False  # the last page's nextToken leads back to the first page
    # The next page starts this many items after the end of the page given: -1 lists an item again, 1 skips one.
    next_page_shift: int = 0
    garbled_token_restarts: bool = False  # a nextToken it did not make reads as the first page's
    # A nextToken is the offset of the next page, not the place of the last item given: an item deleted from an
    # earlier page between two pages makes the next one skip an item (and one added ahead, newest first, repeat one).
    offset_tokens: bool = False

    def __post_init__(self) -> None:
        for name, allowed in (("error_type_style", ERROR_TYPE_STYLES), ("message_key", MESSAGE_KEYS),
                              ("request_id_style", REQUEST_ID_STYLES), ("scan_outcome", SCAN_OUTCOMES),
                              ("token_format", TOKEN_FORMATS), ("image_digest_source", DIGEST_SOURCES)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}={getattr(self, name)!r} is not one of {allowed}")
        if self.throttle_every is not None and self.throttle_every < 1:
            raise ValueError(f"throttle_every={self.throttle_every} must be at least 1")
        if self.page_size_cap is not None and self.page_size_cap < 1:
            raise ValueError(f"page_size_cap={self.page_size_cap} must be at least 1")
        if not set(self.unchecked) <= set(SIGV4_CHECKS):
            raise ValueError(f"unchecked={sorted(self.unchecked)} names checks not in {SIGV4_CHECKS}")
        if not (self.error_type_in_body or self.error_type_header):
            raise ValueError("an error type must be sent somewhere: error_type_in_body or error_type_header")
        for name in ("extra_members", "error_statuses", "error_types", "modelled_error_types", "input_constraints",
                     "answer_members"):
            object.__setattr__(self, name, MappingProxyType(dict(getattr(self, name))))
        for name in ("unchecked", "skipped_rules", "answer_omits", "unscannable_media_types", "not_found_answered_empty",
                     "unimplemented_operations"):
            object.__setattr__(self, name, frozenset(getattr(self, name)))
