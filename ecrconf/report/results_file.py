"""Reading a results.json: parsed, validated against ecrconf/report/results_schema.json, ids unique."""

from __future__ import annotations

import argparse
import functools
import json
from pathlib import Path

import jsonschema

# The exit status of a tool given a file it cannot read or write: pytest's for bad input, as the suite's.
EXIT_BAD_INPUT = 4
SCHEMA_PATH = Path(__file__).with_name("results_schema.json")


class OneLineParser(argparse.ArgumentParser):
    """A tool's command line: a usage error is one line and the bad-input status, not argparse's block and 2."""

    def error(self, message: str):
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: {message}\n")


class InvalidResults(ValueError):
    """A results document that cannot be read; str() is one line that names the file and the problem."""


@functools.cache
def schema() -> dict:
    return json.loads(SCHEMA_PATH.read_text())


def validate(document: object, *, name: str = "results") -> dict:
    """The document itself when it is a valid results document with unique ids, else InvalidResults."""
    error = jsonschema.exceptions.best_match(jsonschema.Draft7Validator(schema()).iter_errors(document))
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "top level"
        raise InvalidResults(f"{name}: not an ecrconf results document: at {where}: {_short(error.message)}")
    seen: set[str] = set()
    for result in document["results"]:
        if result["id"] in seen:
            raise InvalidResults(f"{name}: id {result['id']!r} appears more than once")
        seen.add(result["id"])
    return document


def load(path: str | Path) -> dict:
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidResults(f"{path}: cannot read: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidResults(f"{path}: not JSON: {_short(str(exc))}") from None
    return validate(document, name=str(path))


def _short(text: str, limit: int = 160) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"
