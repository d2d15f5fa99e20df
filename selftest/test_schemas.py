"""The committed schemas are valid draft-07, match the pinned model, and generate valid requests."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator

from ecrconf.generate import strategies
from ecrconf.spec import schemagen, schemas

SCHEMA_FILES = sorted(
    str(path.relative_to(schemas.ROOT))
    for folder in ("input", "output", "errors")
    for path in (schemas.ROOT / folder).glob("*.json")
)


def test_every_operation_has_its_schema_files():
    names = schemas.operation_names()
    assert names, "operations.json lists no operation"
    for name in names:
        assert f"input/{name}.json" in SCHEMA_FILES
        if schemas.operations()[name]["output"]:
            assert f"output/{name}.json" in SCHEMA_FILES
        for error in schemas.modelled_errors(name):
            assert f"errors/{error}.json" in SCHEMA_FILES


@pytest.mark.parametrize("relative", SCHEMA_FILES)
def test_schema_is_valid_draft7(relative):
    schema = schemas._read(relative)
    Draft7Validator.check_schema(schema)
    assert schema["$schema"] == schemagen.DRAFT


def test_committed_schemas_equal_what_the_pinned_model_gives():
    assert schemagen.drift() == []


def test_drift_notices_an_edited_schema(tmp_path: Path):
    for path, text in schemagen.expected_files().items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(text)
    (tmp_path / "input" / "StartImageScan.json").write_text("{}\n")
    (tmp_path / "input" / "NoSuchOperation.json").write_text("{}\n")
    assert schemagen.drift(tmp_path) == [
        "input/NoSuchOperation.json: not produced by the model any more",
        "input/StartImageScan.json: differs from the model",
    ]


# Small on purpose: this runs every operation, and regex-heavy members (lists of repository names)
# are slow to draw. test_strategies.py looks at StartImageScan in depth.
@pytest.mark.parametrize("operation", schemas.operation_names())
@settings(max_examples=3, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_generated_requests_validate(operation, data):
    request = data.draw(strategies.requests(operation))
    assert schemas.violations("input", operation, request) == []


def test_answers_lists_are_held_to_no_length_while_requests_lists_are():
    """ImageIdentifierList is 1-100 in the model: a request must keep to it, an answer need not (ops I.13, N.2)."""
    assert schemas.violations("output", "ListImages", {"imageIds": []}) == []
    long_page = {"imageIds": [{"imageDigest": "sha256:" + f"{n:064x}"} for n in range(101)]}
    assert schemas.violations("output", "ListImages", long_page) == []
    assert schemas.violations("input", "BatchGetImage", {"repositoryName": "r1", "imageIds": []}) != []
    assert schemas.violations("output", "ListImages", {"imageIds": [{"imageTag": ""}]}) != []  # the rest holds
