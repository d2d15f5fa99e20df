"""Registry-wide state of the reference, one RegistrySettings per registry id (ops G.*, P.4-P.6).

Registry policy, scanning configuration, replication configuration and backfills, pull-through cache
rules, repository creation templates, account settings, signing configuration and pull-time update
exclusions. Every operation runs under the Store's lock (registry.py), so plain containers suffice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# G.9 and the AWS API reference of PutAccountSetting: the settings an account has, with their values;
# the first value is the default of a new account (INF for the defaults).
ACCOUNT_SETTINGS = {"BASIC_SCAN_TYPE_VERSION": ("AWS_NATIVE", "CLAIR"),
                    "REGISTRY_POLICY_SCOPE": ("V2", "V1"),
                    "BLOB_MOUNTING": ("DISABLED", "ENABLED")}


def default_scanning() -> dict:
    """A fresh registry's scanning configuration (ops gap 10: BASIC, no rules)."""
    return {"scanType": "BASIC", "rules": []}


@dataclass
class Backfill:
    """A replication backfill (StartReplicationBackfill): the images it copies were fixed when it started."""

    id: str
    destination: dict
    started_at: float
    results: list[dict]  # {"repositoryName", "imageId", "status"}
    stopped_at: float | None = None


@dataclass
class RegistrySettings:
    policy: str | None = None  # the registry policy, re-serialised like a repository policy
    scanning: dict = field(default_factory=default_scanning)
    replication: dict = field(default_factory=lambda: {"rules": []})
    pull_through_rules: dict[str, dict] = field(default_factory=dict)  # ecrRepositoryPrefix -> rule
    templates: dict[str, dict] = field(default_factory=dict)  # prefix -> repository creation template
    account: dict[str, str] = field(default_factory=lambda: {k: v[0] for k, v in ACCOUNT_SETTINGS.items()})
    signing: dict | None = None  # the signing configuration, once put
    pull_time_exclusions: dict[str, float] = field(default_factory=dict)  # principal ARN -> createdAt
    backfills: dict[str, Backfill] = field(default_factory=dict)  # by id, in start order
