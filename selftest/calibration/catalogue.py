"""The mutants and conformant variants of the reference endpoint, read from selftest/reference/mutants.toml."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from datetime import timedelta
from pathlib import Path

from selftest.reference import Behaviour

CATALOGUE_FILE = Path(__file__).resolve().parent.parent / "reference" / "mutants.toml"
# The kinds of deviation the suite claims to detect; every mutant and variant names one.
AREAS = ("validation", "error-type", "status", "response", "echo", "quota", "image-type", "scan-visibility",
         "concurrency", "protocol", "sigv4",
         # operation semantics (suites/semantics), by operation family
         "images", "layers", "policies", "tags", "registry", "repositories",
         # the generic suite (suites/operations), by check family
         "operations-validation", "operations-own-resources", "operations-not-found", "operations-success",
         "operations-identifiers", "operations-errors",
         # every paginated operation (suites/pagination)
         "pagination",
         # programs of calls judged against the registry model (suites/stateful)
         "stateful")
_KNOBS = {knob.name for knob in fields(Behaviour)}


@dataclass(frozen=True)
class Mutant:
    name: str
    area: str
    description: str
    overrides: dict
    meant: tuple[str, ...]  # check ids, test ids standing for all their cases, or prefixes ending in "*"
    survives: str = ""  # why the suite cannot catch it yet; empty when it must be killed

    def behaviour(self) -> Behaviour:
        return behaviour_from(self.overrides)

    def is_meant(self, check_id: str) -> bool:
        return any(matches(pattern, check_id) for pattern in self.meant)

    def tests(self) -> tuple[tuple[str, str], ...]:
        """(suite area, test function) of each meant check: what a run must include to judge the mutant."""
        found = []
        for pattern in self.meant:
            _, area, test = pattern.split("/", 2)
            found.append((area, test.split("[", 1)[0].rstrip("*")))
        return tuple(dict.fromkeys(found))


@dataclass(frozen=True)
class Variant:
    name: str
    area: str
    description: str
    overrides: dict
    evidence: str  # where the protocol allows it

    def behaviour(self) -> Behaviour:
        return behaviour_from(self.overrides)


@dataclass(frozen=True)
class Catalogue:
    mutants: tuple[Mutant, ...]
    variants: tuple[Variant, ...]

    def only(self, names: set[str]) -> Catalogue:
        unknown = names - {entry.name for entry in (*self.mutants, *self.variants)}
        if unknown:
            raise ValueError(f"not in the catalogue: {', '.join(sorted(unknown))}")
        return Catalogue(tuple(m for m in self.mutants if m.name in names),
                         tuple(v for v in self.variants if v.name in names))


def matches(pattern: str, check_id: str) -> bool:
    if pattern.endswith("*"):
        return check_id.startswith(pattern[:-1])
    return check_id == pattern or check_id.startswith(pattern + "[")


def behaviour_from(overrides: dict) -> Behaviour:
    """A Behaviour from TOML values: seconds for a timedelta knob, a list for a set knob."""
    unknown = set(overrides) - _KNOBS
    if unknown:
        raise ValueError(f"no such Behaviour knob: {', '.join(sorted(unknown))}")
    default = Behaviour()
    values = {}
    for name, value in overrides.items():
        if isinstance(getattr(default, name), timedelta):
            value = timedelta(seconds=value)
        elif isinstance(getattr(default, name), frozenset):
            value = frozenset(value)
        values[name] = value
    return Behaviour(**values)


def load(path: Path = CATALOGUE_FILE) -> Catalogue:
    data = tomllib.loads(path.read_text())
    mutants = tuple(_entry(Mutant, item, meant=tuple(item.get("meant", ()))) for item in data.get("mutant", ()))
    variants = tuple(_entry(Variant, item) for item in data.get("variant", ()))
    names = [entry.name for entry in (*mutants, *variants)]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"{path.name}: names used twice: {', '.join(duplicates)}")
    for entry in (*mutants, *variants):
        _check(entry, path.name)
    return Catalogue(mutants, variants)


def _entry(kind: type, item: dict, **converted) -> Mutant | Variant:
    unknown = set(item) - {f.name for f in fields(kind)}
    if unknown:
        raise ValueError(f"{item.get('name', '?')}: unknown keys {', '.join(sorted(unknown))}")
    try:
        return kind(**{**item, **converted})
    except TypeError as exc:
        raise ValueError(f"{item.get('name', '?')}: {exc}") from None


def _check(entry: Mutant | Variant, source: str) -> None:
    where = f"{source}: {entry.name}"
    if entry.area not in AREAS:
        raise ValueError(f"{where}: area {entry.area!r} is not one of {AREAS}")
    if not entry.overrides or entry.behaviour() == Behaviour():
        raise ValueError(f"{where}: its overrides leave the reference as it is")
    if isinstance(entry, Mutant) and not entry.meant:
        raise ValueError(f"{where}: names no check meant to catch it")
    if isinstance(entry, Mutant) and any(pattern.count("/") < 2 for pattern in entry.meant):
        raise ValueError(f"{where}: a meant check is not <operation>/<area>/<test>: {entry.meant}")
    if isinstance(entry, Variant) and not entry.evidence.strip():
        raise ValueError(f"{where}: says nothing of where the protocol allows it")
