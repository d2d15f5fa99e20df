"""The model's paginators (ecrconf.spec.paginators), the listing table that says what the run lists with
each (fixtures/pagination.toml, ecrconf.generate.listings), and the judges of a walk (ecrconf.checks.paging).
The checks themselves are calibrated against the reference and its pagination mutants (test_calibration)."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.loaders import Loader

from ecrconf.checks import ConformanceFailure, paging
from ecrconf.generate import boundaries, listings, tables
from ecrconf.generate.tables import TableInvalid
from ecrconf.resources.world import offline
from ecrconf.spec import paginators
from ecrconf.spec.paginators import Paginator, paginator_from


def test_the_paginators_are_the_models():
    model = Loader().load_service_model("ecr", "paginators-1")["pagination"]
    assert set(paginators.paginators()) == set(model)
    assert {"ListImages", "DescribeImages", "DescribeRepositories", "GetLifecyclePolicyPreview"} <= set(model)
    findings = paginators.paginator("DescribeImageScanFindings")
    assert findings.result_keys == ("imageScanFindings.findings", "imageScanFindings.enhancedFindings")
    assert (findings.input_token, findings.output_token, findings.limit_key) == ("nextToken", "nextToken", "maxResults")


@pytest.mark.parametrize("operation, bounds", [("ListImages", (1, 1000)), ("GetLifecyclePolicyPreview", (1, 100)),
                                               ("ListReplicationBackfills", (1, 50))])
def test_limit_bounds_come_from_the_input_schema(operation, bounds):
    assert paginators.paginator(operation).limit_bounds() == bounds


def test_items_gather_every_result_key_and_tolerate_absent_ones():
    findings = paginators.paginator("DescribeImageScanFindings")
    body = {"imageScanFindings": {"findings": [{"name": "a"}], "enhancedFindings": [{"findingArn": "b"}]}}
    assert findings.items(body) == [{"name": "a"}, {"findingArn": "b"}]
    assert findings.items({"imageScanStatus": {"status": "IN_PROGRESS"}}) == []
    assert paginators.paginator("ListImages").items({"imageIds": "not a list"}) == []


@pytest.mark.parametrize("body, token", [({"nextToken": "abc"}, "abc"), ({}, None), ({"nextToken": None}, None),
                                         ({"nextToken": ""}, None), ({"nextToken": 7}, None), ([], None)])
def test_next_token_is_none_on_the_last_page_and_an_empty_one_ends_too(body, token):
    assert paginators.paginator("ListImages").next_token(body) == token


@pytest.mark.parametrize("entry, fault", [
    ({"input_token": ["a", "b"], "output_token": "n", "limit_key": "m", "result_key": "r"}, "one input_token"),
    ({"input_token": "n", "output_token": "n", "result_key": "r"}, "one input_token"),
    ({"input_token": "n", "output_token": "n", "limit_key": "m"}, "no result_key"),
])
def test_a_paginator_the_suite_cannot_follow_is_refused(entry, fault):
    with pytest.raises(ValueError, match=fault):
        paginator_from("X", entry)


def test_every_limit_key_has_its_bounds_broken_by_the_validation_family():
    """suites/operations sends maxResults one below and one above its bounds for every paginated operation,
    so suites/pagination does not repeat those cases."""
    world = offline("ecrconf-collect", "123456789012", "us-east-1")
    for operation, paginator in paginators.paginators().items():
        low, high = paginator.limit_bounds()
        base = tables.fill(operation, tables.table(operation).request, world)
        ids = {case.id for case in boundaries.boundary_cases(operation, base)}
        assert {f"{paginator.limit_key}-too-small-{low - 1}", f"{paginator.limit_key}-too-large-{high + 1}"} <= ids


def test_the_listing_table_has_one_entry_per_paginator():
    assert set(listings.listings()) == set(paginators.paginators())
    assert listings.listing("ListImages").identify({"imageDigest": "d", "imageTag": "t", "x": 1}) == ("d", "t")
    backfill = listings.listing("DescribeReplicationBackfillResults")
    assert backfill.identify({"repositoryName": "r", "imageId": {"imageTag": "t", "imageDigest": "d"}}) == \
        ("r", '{"imageDigest": "d", "imageTag": "t"}')


def _table(tmp_path: Path, edit) -> Path:
    """The listing table, as edit turns its text."""
    path = tmp_path / "pagination.toml"
    path.write_text(edit(listings.TABLE.read_text()))
    return path


@pytest.mark.parametrize("edit, fault", [
    (lambda t: t.replace("[ListImages]", "[ListImagez]"),
     "missing \\['ListImages'\\], not paginated \\['ListImagez'\\]"),
    (lambda t: t.replace('identity = ["repositoryName"]', 'identity = ["repositoryNom"]'), "repositoryNom"),
    (lambda t: t.replace('lists = "preview"', 'lists = "everything"'), "lists='everything'"),
    (lambda t: t.replace("max_results = 1\n", "max_results = 101\n"),
     "max_results=101 is not an integer from 1 to 100"),
    (lambda t: t.replace("max_results = 1\n", "max_results = true\n"), "max_results=True"),
    (lambda t: t.replace('identity = ["prefix"]', "identity = []"), "non-empty list"),
    (lambda t: t.replace('identity = ["prefix"]', 'identity = ["prefix"]\nextra = 1'), "exactly lists, identity"),
    (lambda t: t + "[[", "pagination.toml: "),
])
def test_a_broken_listing_table_is_refused_in_one_line(tmp_path, edit, fault):
    with pytest.raises(TableInvalid, match=fault) as raised:
        listings.listings.__wrapped__(_table(tmp_path, edit))
    assert "\n" not in str(raised.value)


def _walk(*pages: tuple[list, str | None], limit: int = 2) -> paging.Walk:
    return paging.Walk(tuple(paging.Page(None, tuple(items), token) for items, token in pages), limit)


def _name(item: str) -> tuple:
    return (item,)


def test_a_page_larger_than_asked_fails():
    paging.pages_within_limit(_walk((["a", "b"], "t1"), (["c"], None)))
    with pytest.raises(ConformanceFailure, match="page 2 holds more items"):
        paging.pages_within_limit(_walk((["a"], "t1"), (["b", "c", "d"], None)))


def test_a_walk_ends_without_a_repeated_token_within_its_bound():
    paging.ends(_walk((["a", "b"], "t1"), (["c"], "t2"), ([], None)), most_pages=4)
    with pytest.raises(ConformanceFailure, match="page 3 gives a nextToken an earlier page gave"):
        paging.ends(_walk((["a", "b"], "t1"), (["c"], "t2"), (["a", "b"], "t1")), most_pages=10)
    with pytest.raises(ConformanceFailure, match="does not end"):
        paging.ends(_walk((["a", "b"], "t1"), (["c"], "t2"), ([], "t3"), ([], "t4")), most_pages=4)


def test_a_walk_of_unknown_length_that_stops_bringing_new_items_does_not_end():
    trailing_empty = _walk((["a", "b"], "t1"), ([], "t2"), ([], "t3"), ([], "t4"))
    assert trailing_empty.stalled(3) and not trailing_empty.stalled(4)
    with pytest.raises(ConformanceFailure, match="3 pages in a row with no item not listed before"):
        paging.ends(trailing_empty, most_pages=100, stall=3)
    again = _walk((["a", "b"], "t1"), (["a"], "t2"), (["b"], "t3"), (["a", "b"], "t4"))
    assert again.stalled(3)
    progressing = _walk((["a"], "t1"), ([], "t2"), (["b"], "t3"), ([], "t4"), ([], None))
    assert not progressing.stalled(3) and not progressing.stalled(2)  # the last page ends it
    paging.ends(progressing, most_pages=100, stall=2)


def test_an_item_of_the_run_repeated_or_skipped_fails():
    expected = {("a",), ("b",), ("c",)}
    once = _walk((["a", "x"], "t1"), (["b", "c"], "t2"), (["x"], None))  # others' items may come twice
    paging.none_repeated(once, expected, _name)
    paging.none_missing(once, expected, _name)
    with pytest.raises(ConformanceFailure, match="listed again on page 2"):
        paging.none_repeated(_walk((["a", "b"], "t1"), (["b", "c"], None)), expected, _name)
    skipped = _walk((["a", "b"], "t1"), ([], None))
    with pytest.raises(ConformanceFailure, match="skipped") as raised:
        paging.none_missing(skipped, expected, _name)
    assert "2 of 3 items listed; not c" in str(raised.value)
    paging.none_missing(skipped, expected, _name, left_out=1)  # a list that rightly leaves one out
