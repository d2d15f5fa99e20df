"""Mapping a recording's names and identifiers to a replay's own.

Names: every repository (and item) the recorded run made starts with its prefix ``ecrconf-<run>``; the
replay uses ``ecrconf-<its own run>`` instead, in every request body. Image content (manifests, blobs) holds
no prefix, only digests, so digests stay valid. Identifiers the target chose (an ``uploadId``, the account's
``registryId``, a ``nextToken``, ARNs with the account in them, ...) are learnt from each pair of answers
(recorded, replayed) and substituted in later requests.
"""

from __future__ import annotations

# Members whose values a target chooses, which later requests send back.
LEARNT = frozenset({"registryId", "uploadId", "nextToken", "repositoryArn", "repositoryUri",
                    "replicationBackfillId", "proxyEndpoint", "registryArn", "arn"})
MIN_LENGTH = 8  # shorter values could occur anywhere by chance: never substituted


class Names:
    def __init__(self, recorded_prefix: str, own_prefix: str) -> None:
        self.recorded_prefix = recorded_prefix
        self.own_prefix = own_prefix
        self.learnt: dict[str, str] = {}  # recorded value -> replayed value

    def request(self, body: bytes) -> bytes:
        """A recorded request body in the replay's names: the prefix, then each learnt identifier."""
        text = body.decode("utf-8", errors="surrogateescape")
        text = text.replace(self.recorded_prefix + "-", self.own_prefix + "-")
        for old in sorted(self.learnt, key=len, reverse=True):
            text = text.replace(old, self.learnt[old])
        return text.encode("utf-8", errors="surrogateescape")

    def learn(self, recorded: object, replayed: object) -> None:
        """Walk two answers (parsed JSON) side by side; each LEARNT member whose value differs is learnt."""
        if isinstance(recorded, dict) and isinstance(replayed, dict):
            for key, value in recorded.items():
                other = replayed.get(key)
                if key in LEARNT and isinstance(value, str) and isinstance(other, str):
                    renamed = value.replace(self.recorded_prefix + "-", self.own_prefix + "-")
                    if renamed != other and len(value) >= MIN_LENGTH:
                        self.learnt[renamed] = other  # requests have the prefix replaced first
                else:
                    self.learn(value, other)
        elif isinstance(recorded, list) and isinstance(replayed, list):
            for value, other in zip(recorded, replayed):
                self.learn(value, other)
