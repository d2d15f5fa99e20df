"""Policy texts as ECR stores and answers them: parsed, checked, and written again (ops P.1, P.5, P.8).

Repository and registry policies come back re-serialised by Jackson's DefaultPrettyPrinter (P.1):
two-space indent for object members, ``" : "`` between key and value, arrays inline (``[ "a", "b" ]``,
``[ {`` ... ``} ]``), empty containers as ``{ }`` and ``[ ]``. Lifecycle policies come back compact with
their key order kept (P.8).
"""

from __future__ import annotations

import json

from selftest.reference.errors import error


def parsed_policy(text: str, situation: str) -> dict:
    """A repository or registry policy document; raises the situation's error (an InvalidParameterException
    at 'PolicyText', r3.16 / P.5) unless text is a JSON object with a Statement (INF: IAM's grammar)."""
    document = parsed_object(text)
    if document is None or not isinstance(document.get("Statement"), (list, dict)):
        raise error(situation)
    return document


def written_policy(document: dict, plain_whitespace: bool = False) -> str:
    """The policy as ECR answers it: Jackson pretty-printed (P.1), or, under the variant knob
    policy_whitespace, json.dumps with a 4-space indent (the same JSON, other whitespace)."""
    if plain_whitespace:
        return json.dumps(document, indent=4, ensure_ascii=False)
    return _jackson(document, 0)


def compact(document: object) -> str:
    """JSON without whitespace, keys in their order (P.8)."""
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False)


def parsed_object(text: str) -> dict | None:
    """text as a JSON object, or None when it is not one."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    return document if isinstance(document, dict) else None


def _jackson(value: object, nesting: int) -> str:
    """DefaultPrettyPrinter: objects indent by nesting (arrays do not nest, their indenter is inline)."""
    if isinstance(value, dict):
        if not value:
            return "{ }"
        inner = "\n" + "  " * (nesting + 1)
        members = [f"{json.dumps(key, ensure_ascii=False)} : {_jackson(item, nesting + 1)}"
                   for key, item in value.items()]
        return "{" + inner + ("," + inner).join(members) + "\n" + "  " * nesting + "}"
    if isinstance(value, list):
        if not value:
            return "[ ]"
        return "[ " + ", ".join(_jackson(item, nesting) for item in value) + " ]"
    return json.dumps(value, ensure_ascii=False)

