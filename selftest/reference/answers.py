"""The variant knob omit_optional_members: optional members with nothing in them left out of an answer."""

from __future__ import annotations

KEPT = frozenset({"failures"})  # ops I.6, I.11, L.8: batch answers always carry failures, even []


def without_empty_optionals(answer: dict, schema: dict) -> dict:
    """answer without the members that are empty ([] or {}) and not required by the output schema, below the
    top level (the lists an operation answers stay, empty or not); the same JSON otherwise."""
    return {name: _pruned(value, schema.get("properties", {}).get(name, {})) for name, value in answer.items()}


def _pruned(value: object, schema: dict) -> object:
    if isinstance(value, list):
        return [_pruned(item, schema.get("items", {})) for item in value]
    if not isinstance(value, dict) or "properties" not in schema:
        return value
    required = set(schema.get("required", ()))
    return {name: _pruned(item, schema["properties"].get(name, {})) for name, item in value.items()
            if name in required or name in KEPT or item not in ([], {})}
