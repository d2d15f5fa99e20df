"""The model's paginators (``schemas/paginators.json``, botocore ``paginators-1.json``): for each paginated
operation, the member that carries the next token in the request and in the answer, the member that
bounds a page (``maxResults``) and its bounds, and where the items of a page are in the answer."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from ecrconf.spec import schemas


@dataclass(frozen=True)
class Paginator:
    operation: str
    input_token: str  # request member naming the page to give, e.g. "nextToken"
    output_token: str  # answer member naming the next page; absent on the last one
    limit_key: str  # request member bounding a page, e.g. "maxResults"
    result_keys: tuple[str, ...]  # dotted paths of the item lists in an answer, e.g. "imageScanFindings.findings"

    def limit_bounds(self) -> tuple[int, int]:
        """(minimum, maximum) the input schema gives the limit key (1-1000 for most, ops N.2)."""
        member = schemas.input_schema(self.operation)["properties"][self.limit_key]
        return member["minimum"], member["maximum"]

    def items(self, body: object) -> list:
        """The items of one answer: the lists at every result key, in order. A result key that is absent
        (or not a list, which the output schema check reports) gives no items."""
        found: list = []
        for path in self.result_keys:
            value = body
            for key in path.split("."):
                value = value.get(key) if isinstance(value, dict) else None
            if isinstance(value, list):
                found.extend(value)
        return found

    def next_token(self, body: object) -> str | None:
        """The answer's next token; None on the last page. An empty string also ends the pages, as the
        AWS SDKs read it (ops N.8)."""
        token = body.get(self.output_token) if isinstance(body, dict) else None
        return token if isinstance(token, str) and token else None


def paginator_from(operation: str, entry: dict) -> Paginator:
    """A Paginator from one entry of paginators-1.json; ValueError for a shape the suite does not follow
    (several tokens, no limit key), which ECR's model does not use."""
    tokens = entry.get("input_token"), entry.get("output_token"), entry.get("limit_key")
    if not all(isinstance(token, str) for token in tokens):
        raise ValueError(f"{operation}: paginator needs one input_token, output_token and limit_key, "
                         f"got {tokens}")
    result = entry.get("result_key")
    result_keys = (result,) if isinstance(result, str) else tuple(result or ())
    if not result_keys or not all(isinstance(key, str) for key in result_keys):
        raise ValueError(f"{operation}: paginator names no result_key")
    return Paginator(operation, *tokens, result_keys)


@cache
def paginators() -> dict[str, Paginator]:
    """Every paginated operation of the model -> its Paginator, by operation name."""
    return {operation: paginator_from(operation, entry)
            for operation, entry in sorted(schemas.paginators().items())}


def paginator(operation: str) -> Paginator:
    """The Paginator of operation; KeyError if the model gives it none."""
    return paginators()[operation]
