"""The operations the reference implements, by name: each takes (Context, validated request) -> answer."""

from __future__ import annotations

from selftest.reference.operations import images, layers, repositories, scans
from selftest.reference.operations.context import Context

HANDLERS = {**repositories.HANDLERS, **layers.HANDLERS, **images.HANDLERS, **scans.HANDLERS}

__all__ = ["Context", "HANDLERS"]
