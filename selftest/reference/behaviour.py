"""The named knobs of the reference endpoint. The defaults are the strict, real-ECR behaviour.

A conformant variant or a named breakage is a ``Behaviour`` with some knobs turned, handed to the
server; nothing else about the server changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from types import MappingProxyType
from typing import Mapping

ERROR_TYPE_STYLES = ("plain", "namespaced", "suffixed")
MESSAGE_KEYS = ("message", "Message")
REQUEST_ID_STYLES = ("uuid4", "uuid1", "absent")


@dataclass(frozen=True)
class Behaviour:
    # How "__type" (and X-Amzn-ErrorType) spell an error: "Name" (research 1.1), "com.amazonaws.ecr#Name",
    # or "Name:http://internal.amazon.com/coral/com.amazon.coral.service/" (research 1.8, 1.9).
    error_type_style: str = "plain"
    message_key: str = "message"
    error_type_header: bool = False  # research 1.6: real Coral JSON errors carry none
    # Members added to every JSON response body, success or error; clients must ignore them.
    extra_members: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}), hash=False)
    json_indent: int | None = None  # None: compact
    json_sort_keys: bool = False
    # imageScanStatus.description in the StartImageScan answer; real ECR sends none (research 5.1).
    scan_description: str | None = None
    request_id_style: str = "uuid4"  # research 1.5: lower-case UUID
    auth_error_status: int = 400  # research 2.13, 2.16: 400 (gap 9.3: 403 not ruled out)
    clock_skew: timedelta = timedelta(minutes=15)  # research 2.13
    scan_duration: float = 0.3  # seconds from IN_PROGRESS to COMPLETE

    def __post_init__(self) -> None:
        for name, allowed in (("error_type_style", ERROR_TYPE_STYLES), ("message_key", MESSAGE_KEYS),
                              ("request_id_style", REQUEST_ID_STYLES)):
            if getattr(self, name) not in allowed:
                raise ValueError(f"{name}={getattr(self, name)!r} is not one of {allowed}")
        object.__setattr__(self, "extra_members", MappingProxyType(dict(self.extra_members)))
