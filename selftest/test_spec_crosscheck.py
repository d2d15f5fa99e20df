"""The published API reference pages agree with schemas/, except for the differences recorded as data.

A page is the text of an AWS API reference page, kept in ``fixtures/spec/<Operation>.txt`` (a copy of the
team's ``shared/spec``; a test holds the copy equal to the original when the original is beside the repo).
Only what a page states is compared: member lists, patterns, lengths, required flags, valid values,
errors and their status codes, and the enum values its samples show. schemas/spec-differences.json
lists every known difference; a new one and a vanished one both fail.
"""

import json
import re
from pathlib import Path

import pytest

from ecrconf.spec import schemas

REPO = Path(__file__).resolve().parent.parent
SPEC = REPO / "fixtures" / "spec"
SHARED_SPEC = REPO.parent / "shared" / "spec"
RECORDED = REPO / "schemas" / "spec-differences.json"
PAGES = sorted(path.stem for path in SPEC.glob("*.txt"))


@pytest.mark.skipif(not SHARED_SPEC.is_dir(), reason=f"{SHARED_SPEC} is not beside the repository")
def test_the_kept_pages_are_the_published_ones():
    for page in SHARED_SPEC.glob("*.txt"):
        assert (SPEC / page.name).read_text() == page.read_text(), f"copy {page} to {SPEC}"

HEADINGS = {"Request Syntax", "Request Parameters", "Response Syntax", "Response Elements", "Errors", "Examples",
            "See Also"}
FACT = re.compile(r"(Type|Pattern|Length Constraints|Required|Valid Values): (.*)")


def sections(text: str) -> dict[str, list[str]]:
    """The non-empty lines under each heading."""
    found: dict[str, list[str]] = {}
    current = None
    for line in map(str.strip, text.splitlines()):
        if line in HEADINGS:
            current = found.setdefault(line, [])
        elif current is not None and line:
            current.append(line)
    return found


def members(lines: list[str]) -> dict[str, dict[str, str]]:
    """{member: {fact: value}}; a member starts at a line that is a bare camelCase name."""
    found: dict[str, dict[str, str]] = {}
    facts = None
    for line in lines:
        if re.fullmatch(r"[a-z][A-Za-z0-9]*", line):
            facts = found.setdefault(line, {})
        elif facts is not None and (match := FACT.fullmatch(line)):
            facts[match[1]] = match[2]
    return found


def errors(lines: list[str]) -> dict[str, int | None]:
    found: dict[str, int | None] = {}
    current = None
    for line in lines:
        if re.fullmatch(r"[A-Z][A-Za-z]*(Exception|Error)", line):
            current = line
            found[current] = None
        elif current is not None and (match := re.fullmatch(r"HTTP Status Code: (\d+)", line)):
            found[current] = int(match[1])
    return found


def samples(lines: list[str]) -> dict[str, object]:
    """The JSON bodies after 'Sample Request' and 'Sample Response' (each after the HTTP head)."""
    found = {}
    for label in ("Sample Request", "Sample Response"):
        if label in lines:
            text = " ".join(lines[lines.index(label) + 1:])
            found[label] = json.JSONDecoder().raw_decode(text[text.index("{"):])[0]
    return found


def unwrap(pattern: str | None) -> str | None:
    """Undo the generator's ^(?:...)$ so that a model pattern reads like the page's."""
    return pattern[len("^(?:"):-len(")$")] if pattern else None


def enums_shown(document: object, schema: dict, where: str = "") -> dict[str, set]:
    """{member path: the enum values the document holds there}."""
    shown: dict[str, set] = {}
    if "enum" in schema and isinstance(document, str):
        shown[where] = {document}
    elif isinstance(document, dict):
        for name, value in document.items():
            if name in schema.get("properties", {}):
                inner = enums_shown(value, schema["properties"][name], f"{where}.{name}" if where else name)
                for path, values in inner.items():
                    shown.setdefault(path, set()).update(values)
    return shown


def read(operation: str) -> dict[str, list[str]]:
    return sections((SPEC / f"{operation}.txt").read_text())


def differences(operation: str) -> list[dict]:
    page = read(operation)
    found = []

    def compare(member, field, page_value, model_value):
        if page_value != model_value:
            found.append({"member": member, "field": field, "page": page_value, "model": model_value})

    for heading, side, schema in (("Request Parameters", "request", schemas.input_schema(operation)),
                                  ("Response Elements", "response", schemas.output_schema(operation))):
        stated = members(page.get(heading, []))
        modelled = schema.get("properties", {})
        compare(side, "members", sorted(stated), sorted(modelled))
        for name, facts in stated.items():
            if name not in modelled:
                continue
            model, where = modelled[name], f"{side}.{name}"
            if "Pattern" in facts:
                compare(where, "pattern", facts["Pattern"], unwrap(model.get("pattern")))
            if "Length Constraints" in facts:
                for field, words in (("minLength", "Minimum length of"), ("maxLength", "Maximum length of")):
                    if match := re.search(rf"{words} (\d+)", facts["Length Constraints"]):
                        compare(where, field, int(match[1]), model.get(field))
            if "Required" in facts:
                compare(where, "required", facts["Required"] == "Yes", name in schema.get("required", []))
            if "Valid Values" in facts:
                compare(where, "enum", sorted(facts["Valid Values"].split(" | ")), sorted(model.get("enum", [])))

    for label, side, schema in (("Sample Request", "request", schemas.input_schema(operation)),
                                ("Sample Response", "response", schemas.output_schema(operation))):
        sample = samples(page.get("Examples", [])).get(label)
        for path, values in sorted(enums_shown(sample, schema).items()):
            model = schema
            for step in path.split("."):
                model = model["properties"][step]
            compare(f"{side}.{path}", "enum shown in the samples", sorted(values), sorted(model["enum"]))

    stated_errors = errors(page.get("Errors", []))
    compare("errors", "names", sorted(stated_errors), sorted(schemas.modelled_errors(operation)))
    for name, status in sorted(stated_errors.items()):
        if name in schemas.modelled_errors(operation):
            compare(f"errors.{name}", "httpStatus", status, 500 if schemas.is_fault(name) else 400)
    return found


def recorded(operation: str) -> list[dict]:
    return json.loads(RECORDED.read_text()).get(operation, [])


@pytest.mark.parametrize("operation", PAGES)
def test_page_is_parsed(operation):
    page = read(operation)
    stated = members(page["Request Parameters"])
    assert stated and all("Type" in facts for facts in stated.values())
    stated_errors = errors(page["Errors"])
    assert stated_errors and None not in stated_errors.values()


@pytest.mark.parametrize("operation", PAGES)
def test_page_differs_from_the_model_only_as_recorded(operation):
    def key(entry):
        return entry["member"], entry["field"]

    expected = [{k: entry[k] for k in ("member", "field", "page", "model")} for entry in recorded(operation)]
    assert sorted(differences(operation), key=key) == sorted(expected, key=key)


@pytest.mark.parametrize("operation", PAGES)
def test_every_recorded_difference_says_why(operation):
    for entry in recorded(operation):
        assert entry.get("note", "").strip(), entry


@pytest.mark.parametrize("operation", PAGES)
def test_page_samples_validate(operation):
    found = samples(read(operation).get("Examples", []))
    if "Sample Request" in found:
        assert schemas.violations("input", operation, found["Sample Request"]) == []
    if "Sample Response" in found:
        assert schemas.violations("output", operation, found["Sample Response"]) == []
