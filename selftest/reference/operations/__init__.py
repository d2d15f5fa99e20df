"""The operations the reference implements, by name: each takes (Context, validated request) -> answer."""

from __future__ import annotations

from selftest.reference.operations import (artifacts, images, layers, policies, pull_through, registry_settings,
                                           replication, repositories, scans, signing, tags, templates)
from selftest.reference.operations.context import Context

HANDLERS = {name: handler for module in (repositories, layers, images, scans, artifacts, policies, tags,
                                         registry_settings, replication, pull_through, templates, signing)
            for name, handler in module.HANDLERS.items()}

__all__ = ["Context", "HANDLERS"]
