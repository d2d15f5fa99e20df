"""The listing table (``fixtures/pagination.toml``): what the model's paginators cannot say about a
paginated operation (what the run lists with it, what identifies an item, the maxResults to ask for).

``listings()`` reads and checks the table against the model: one entry for each paginator of the model
(``ecrconf.spec.paginators``) and none other, identity members that the items have, a maxResults within
the limit key's bounds. A broken table raises ``TableInvalid`` with one line naming the fault.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ecrconf import paths
from ecrconf.generate.tables import TableInvalid
from ecrconf.spec import paginators, schemas

TABLE = paths.data("fixtures", "pagination.toml")
# What an operation lists; the table's header comment says what each is.
KINDS = ("images", "preview", "findings", "repositories", "cache_rules", "templates", "registry", "backfill")
IMAGES = 3  # images the run pushes for the "images" and "preview" lists


@dataclass(frozen=True)
class Listing:
    operation: str
    lists: str  # one of KINDS
    identity: tuple[str, ...]  # members of an item that name it
    max_results: int

    @property
    def paginator(self) -> paginators.Paginator:
        return paginators.paginator(self.operation)

    def identify(self, item: object) -> tuple:
        """An item's identity: the values of its identity members (None where absent; a structured value,
        such as an imageId, as its canonical JSON), hashable."""
        item = item if isinstance(item, dict) else {}
        return tuple(_hashable(item.get(member)) for member in self.identity)


def _hashable(value: object) -> object:
    return value if value is None or isinstance(value, (str, int, float, bool)) else json.dumps(value, sort_keys=True)


@cache
def listings(path: Path = TABLE) -> dict[str, Listing]:
    """Every paginated operation -> its Listing, checked; TableInvalid when the table is wrong."""
    where = path.name
    try:
        document = tomllib.loads(path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise TableInvalid(f"{where}: {exc}") from None
    model = set(paginators.paginators())
    if set(document) != model:
        missing, extra = sorted(model - set(document)), sorted(set(document) - model)
        raise TableInvalid(f"{where}: entries must be the model's paginated operations; missing {missing}, "
                           f"not paginated {extra}")
    return {operation: _listing(operation, entry, where) for operation, entry in sorted(document.items())}


def listing(operation: str) -> Listing:
    return listings()[operation]


def _listing(operation: str, entry: object, where: str) -> Listing:
    where = f"{where}: {operation}"
    if not isinstance(entry, dict) or set(entry) != {"lists", "identity", "max_results"}:
        raise TableInvalid(f"{where}: needs exactly lists, identity and max_results")
    kind, identity, size = entry["lists"], entry["identity"], entry["max_results"]
    if kind not in KINDS:
        raise TableInvalid(f"{where}: lists={kind!r} is not one of {KINDS}")
    if not isinstance(identity, list) or not identity or not all(isinstance(m, str) for m in identity):
        raise TableInvalid(f"{where}: identity must be a non-empty list of member names")
    known = _item_members(paginators.paginator(operation))
    unknown = [member for member in identity if member not in known]
    if unknown:
        raise TableInvalid(f"{where}: identity names {unknown}, which no item of {operation} has")
    low, high = paginators.paginator(operation).limit_bounds()
    if isinstance(size, bool) or not isinstance(size, int) or not low <= size <= high:
        raise TableInvalid(f"{where}: max_results={size!r} is not an integer from {low} to {high}")
    return Listing(operation, kind, tuple(identity), size)


def _item_members(paginator: paginators.Paginator) -> set[str]:
    """The members an item of any of the paginator's result lists may have (the output schema)."""
    members: set[str] = set()
    for path in paginator.result_keys:
        schema = schemas.output_schema(paginator.operation)
        for key in path.split("."):
            schema = schema.get("properties", {}).get(key, {})
        members.update(schema.get("items", {}).get("properties", {}))
    return members
