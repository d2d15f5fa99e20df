"""Basic scanning: the once-per-24-hours quota and how a scan's status moves on with time."""

from __future__ import annotations

from selftest.reference.registry import Repository

QUOTA_WINDOW = 24 * 60 * 60  # seconds; one scan per image, scan on push included (research 4.4, 7.1)
# imageScanStatus.description of a finished scan, by its status (research 5.4, 4.7).
DESCRIPTIONS = {"COMPLETE": "The scan was completed successfully.",
                "FAILED": "UnsupportedImageError: The operating system and/or package manager are not supported."}


def quota_used(repository: Repository, digest: str, now: float) -> bool:
    started = repository.scans.get(digest)
    return started is not None and now - started < QUOTA_WINDOW


def status(repository: Repository, digest: str, now: float, duration: float,
           outcome: str = "COMPLETE") -> dict | None:
    """imageScanStatus of the image's last scan (None if never scanned): IN_PROGRESS, then the outcome."""
    started = repository.scans.get(digest)
    if started is None:
        return None
    if now - started < duration:
        return {"status": "IN_PROGRESS"}  # research 5.5: no description, no findings yet
    return {"status": outcome, "description": DESCRIPTIONS[outcome]}


def completed_at(repository: Repository, digest: str, duration: float) -> float:
    return repository.scans[digest] + duration
