"""Errors the reference answers, made from the situations in ``messages.json``."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

MESSAGES_FILE = Path(__file__).resolve().parent / "messages.json"


@cache
def messages() -> dict:
    return json.loads(MESSAGES_FILE.read_text())


class EcrError(Exception):
    """An error answer: type, HTTP status, message (None: no message member) and extra members."""

    def __init__(self, type_: str, message: str | None, status: int = 400, members: dict | None = None):
        super().__init__(f"{type_}: {message}")
        self.type = type_
        self.message = message
        self.status = status
        self.members = members or {}


def error(situation: str, *, status: int | None = None, members: dict | None = None, **fields) -> EcrError:
    """The error for a situation of messages.json, its template filled with fields."""
    entry = messages()["errors"][situation]
    template = entry["message"]
    return EcrError(entry["type"], None if template is None else template.format(**fields),
                    status or entry.get("status", 400), members)


def invalid_parameter(member: str, constraint: str) -> EcrError:
    return error("invalid-parameter", member=member, constraint=constraint)


def constraint_texts() -> dict:
    return messages()["constraints"]


def item_failure(code: str) -> dict:
    return {"failureCode": code, "failureReason": messages()["item_failures"][code]}


def shown(value: str | None) -> str:
    """A value as ECR's messages show it: Java's 'null' for an absent one."""
    return "null" if value is None else value
