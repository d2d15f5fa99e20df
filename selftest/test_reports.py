"""The HTML and Markdown reports: structure, escaping of target text, self-containment, brevity."""

from __future__ import annotations

import copy
import re

import pytest
from jsonschema import Draft7Validator

from ecrconf.report.compare import compare
from ecrconf.report.html import render_html
from ecrconf.report.markdown import render_markdown
from ecrconf.report.reporting import PROGRAMS_DIR, REPORT_FILES, clear_reports
from ecrconf.report.results_file import schema
from ecrconf.run.collection import requirement
from selftest.html_tree import external_references, parse
from selftest.results_samples import FRESH, INVALID, SCAN, find, record, sample_results

ATTACK = "<script>alert(1)</script>"
NON_PASS = ("fail", "error", "unsupported", "expected-failure", "unexpected-pass", "advisory-fail", "skipped")


def requirements_of(document: dict) -> set[tuple[str, str]]:
    return {(r["operation"], r["area"], r["requirement"]) for r in document["results"]}


def hostile_results() -> dict:
    """A run in which everything the target or the run's user could have written carries markup."""
    document = sample_results(target=f"evil{ATTACK}", endpoint=f"http://127.0.0.1:1/{ATTACK}")
    failing = find(document, "StartImageScan/start_image_scan/test_second_scan_is_limit_exceeded")
    failing.update(message=f"Received: {ATTACK}\nExpected: HTTP 400", response=f"HTTP 200 {ATTACK}",
                   request=f"POST / {ATTACK}", reproduce=f"curl '{ATTACK}'")
    document["results"].append(record(f"StartImageScan/start_image_scan/test_x[{ATTACK}]", "fail",
                                      f"Requirement {ATTACK}", operation=f"Op{ATTACK}", message=ATTACK))
    return document


def test_the_samples_are_valid_results_documents():
    validator = Draft7Validator(schema())
    for document in (sample_results(), hostile_results()):
        assert not list(validator.iter_errors(document))
    assert {r["outcome"] for r in sample_results()["results"]} == {"pass", *NON_PASS}


# HTML

def test_html_has_the_fingerprint_at_the_top_and_a_verdict():
    document = sample_results()
    root = parse(render_html(document))
    header = root.find("header")
    text = header.text()
    run = document["run"]
    for value in (run["endpoint"], run["target"], run["suite_version"], run["model"]["botocoreVersion"],
                  run["model"]["modelSha256"][:12], run["started"], run["expectations"], "conformance"):
        assert value in text
    assert "bad" in header.find("p", cls="verdict").classes
    assert "1 deviation" in header.find("p", cls="verdict").text()


def test_html_counts_outcomes_per_operation():
    root = parse(render_html(sample_results()))
    table = root.find("section", id="operations").find("table")
    head = [th.text() for th in table.find("thead").find_all("th")]
    rows = {tr.find("th").text(): [td.text() for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")}
    assert set(rows) == {"DescribeImageScanFindings", "StartImageScan", "all"}
    start = dict(zip(head[1:], rows["StartImageScan"]))
    assert [start[o] for o in ("pass", "fail", "error", "unsupported", "total")] == ["6", "1", "1", "·", "12"]
    assert dict(zip(head[1:], rows["DescribeImageScanFindings"]))["unsupported"] == "1"


def test_html_has_one_row_per_requirement_with_its_worst_outcome():
    document = sample_results()
    root = parse(render_html(document))
    rows = root.find("section", id="requirements").find_all("tr", cls="requirement")
    assert len(rows) == len(requirements_of(document))
    worst = {tr.find_all("td")[1].text(): tr.attrs["data-outcome"] for tr in rows}
    assert worst[FRESH] == "pass"
    assert worst[INVALID] == "unexpected-pass"


def test_html_expands_every_non_pass_check_to_its_evidence():
    document = sample_results()
    root = parse(render_html(document))
    checks = root.find("section", id="checks").find_all("li", cls="check")
    assert sorted(li.attrs["data-outcome"] for li in checks) == sorted(r["outcome"] for r in document["results"])
    for li in checks:
        details = li.find_all("details")
        assert len(details) == (li.attrs["data-outcome"] != "pass")
    failing = find(document, "StartImageScan/start_image_scan/test_second_scan_is_limit_exceeded")
    li = next(li for li in checks if failing["id"] in li.text())
    blocks = {pre.attrs["class"]: pre.text() for pre in li.find_all("pre")}
    assert blocks == {key: failing[key] for key in ("message", "request", "response", "reproduce")}


def test_html_checks_are_listed_worst_first():
    root = parse(render_html(sample_results()))
    groups = root.find_all("div", cls="operation")
    start = next(div for div in groups if div.find("h3").text() == f"{SCAN} · start_image_scan")
    order = [li.attrs["data-outcome"] for li in start.find_all("li", cls="check")]
    assert order == ["error", "fail", "unexpected-pass", "advisory-fail", "expected-failure", "pass", "pass", "pass",
                     "pass"]


def test_html_filters_are_hidden_until_the_script_runs_and_offer_each_present_outcome():
    root = parse(render_html(sample_results()))
    filters = root.find("div", id="filters")
    assert "hidden" in filters.attrs, "without JavaScript the filters must not show"
    values = [box.attrs["value"] for box in filters.find_all("input")]
    assert sorted(values) == sorted(["pass", *NON_PASS])
    assert all("checked" in box.attrs for box in filters.find_all("input"))
    assert len(root.find_all("script")) == 1


def test_html_is_self_contained():
    markup = render_html(sample_results(), diff=compare(sample_results(), sample_results()))
    root = parse(markup)
    assert external_references(root) == []
    style = root.find("style").text()
    assert "url(" not in style and "@import" not in style


def test_html_escapes_everything_the_target_sent():
    document = hostile_results()
    markup = render_html(document, diff=compare(sample_results(), document))
    root = parse(markup)
    assert len(root.find_all("script")) == 1, "only the report's own script"
    assert ATTACK not in markup
    assert markup.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 8
    assert ATTACK in root.find("header").find("h1").text()  # shown as text, intact
    failing = find(document, "StartImageScan/start_image_scan/test_second_scan_is_limit_exceeded")
    assert any(pre.text() == failing["message"] for pre in root.find_all("pre"))
    assert all(el.tag != "script" or el.text().startswith("\n(function ()") for el in root.iter())


def test_html_attribute_values_cannot_be_broken_out_of():
    document = sample_results()
    document["results"][0]["id"] = 'x" onmouseover="alert(1)'
    document["results"][0]["outcome"] = "fail"
    root = parse(render_html(document))
    assert not any(name.startswith("on") for el in root.iter() for name in el.attrs)


def test_html_diff_section_lists_each_kind_of_change():
    old, new = sample_results(), sample_results()
    find(new, "StartImageScan/start_image_scan/test_fresh_image_scan_starts[digest-oci]")["outcome"] = "fail"
    removed = new["results"].pop()
    new["results"].append(record("StartImageScan/start_image_scan/test_new_check", "pass", FRESH))
    root = parse(render_html(new, diff=compare(old, new)))
    section = root.find("section", id="diff")
    titles = [h3.text() for h3 in section.find_all("h3")]
    assert titles == ["Newly failing (1)", "Added (1)", "Removed (1)"]
    ids = [code.text() for code in section.find_all("code")]
    assert ids == ["StartImageScan/start_image_scan/test_fresh_image_scan_starts[digest-oci]",
                   "StartImageScan/start_image_scan/test_new_check", removed["id"]]
    assert "diff" not in {s.attrs.get("id") for s in parse(render_html(new)).find_all("section")}


def test_html_verdict_is_ok_when_nothing_gates():
    document = sample_results()
    document["results"] = [r for r in document["results"] if r["outcome"] not in ("fail", "error", "unexpected-pass")]
    verdict = parse(render_html(document)).find("p", cls="verdict")
    assert "ok" in verdict.classes and verdict.text().startswith("Passed: no unexpected deviations")


# Markdown

def table_rows(markdown: str) -> list[list[str]]:
    """Cells of every table row, split on unescaped pipes as GitHub does."""
    return [[c.strip() for c in re.split(r"(?<!\\)\|", line.strip())[1:-1]]
            for line in markdown.splitlines() if line.startswith("|")]


def test_markdown_headline_says_the_verdict():
    failing = render_markdown(sample_results())
    assert failing.splitlines()[0].startswith("### ❌ ECR conformance of moto-5.2.5: 1 deviation, 1 error")
    document = sample_results()
    document["results"] = [r for r in document["results"] if r["outcome"] == "pass"]
    assert render_markdown(document).splitlines()[0] == \
        "### ✅ ECR conformance of moto-5.2.5: no unexpected deviations; 6 of 6 checks pass"


def test_markdown_has_a_table_per_operation():
    rows = table_rows(render_markdown(sample_results()))
    head = rows[0]
    assert head[:7] == ["Operation", "pass", "fail", "error", "unsupported", "expected", "advisory"]
    body = {row[0]: dict(zip(head, row)) for row in rows[2:]}
    assert set(body) == {"DescribeImageScanFindings", "StartImageScan", "**all**"}
    assert body["DescribeImageScanFindings"]["unsupported"] == "1"
    assert body["StartImageScan"]["fail"] == "1" and body["StartImageScan"]["total"] == "12"
    assert all(len(row) == len(head) for row in rows)


def test_markdown_names_unsupported_operations_apart_from_failures():
    markdown = render_markdown(sample_results())
    assert "Not implemented by the target (unsupported, not failed): DescribeImageScanFindings (1 check)." in markdown
    deviations = markdown.split("**Deviations**")[1]
    assert "DescribeImageScanFindings/" not in deviations


def test_markdown_lists_at_most_twenty_deviations_worst_first_with_ids():
    document = sample_results()
    for i in range(30):
        document["results"].append(record(f"StartImageScan/start_image_scan/test_many[{i:02}]", "fail", FRESH))
    markdown = render_markdown(document)
    items = [line for line in markdown.split("**Deviations**")[1].splitlines() if line.startswith("- **")]
    assert len(items) == 20
    assert items[0].startswith("- **error** `StartImageScan/start_image_scan/test_concurrent_scans_start_once`")
    assert "the first 20 of 34" in markdown  # 31 fail, 1 error, 1 unexpected pass, 1 advisory


def test_markdown_stays_short_for_a_large_run():
    document = sample_results()
    for i in range(3000):
        document["results"].append(record(f"StartImageScan/start_image_scan/test_big[{i}]",
                                          "fail" if i % 3 else "pass", FRESH, message="x" * 2000))
    assert len(render_markdown(document, diff=compare(sample_results(), document)).encode()) < 16_000


def test_markdown_escapes_target_text():
    markdown = render_markdown(hostile_results())
    # Code spans show their content literally (CommonMark escapes it); everywhere else it must be escaped.
    outside_code = re.sub(r"(`+).*?\1", "", markdown)
    assert "<" not in outside_code and "&lt;script&gt;" in outside_code
    assert "`StartImageScan/start_image_scan/test_x[<script>alert(1)</script>]`" in markdown
    document = sample_results()
    document["results"][0]["operation"] = "Pipe|Op"
    rows = table_rows(render_markdown(document))
    assert all(len(row) == len(rows[0]) for row in rows), "a pipe in target text split a table row"


def test_markdown_diff_section_when_given():
    old, new = sample_results(), sample_results()
    find(new, "StartImageScan/start_image_scan/test_fresh_image_scan_starts[digest-oci]")["outcome"] = "error"
    markdown = render_markdown(new, diff=compare(old, new))
    section = markdown.split("#### Compared with the baseline")[1]
    assert section.startswith(" (moto-5.2.5, 2026-11-27T10:00:00Z): ❌ regressed: 1 newly failing")
    assert "- `StartImageScan/start_image_scan/test_fresh_image_scan_starts[digest-oci]`: pass → error." in section
    assert "#### Compared" not in render_markdown(new)


@pytest.mark.parametrize("render", [render_html, render_markdown])
def test_renderers_do_not_change_their_input(render):
    document = hostile_results()
    before = copy.deepcopy(document)
    render(document, diff=compare(sample_results(), document))
    assert document == before


def test_html_cuts_huge_excerpts_and_says_so():
    document = sample_results()
    find(document, "StartImageScan/start_image_scan/test_second_scan_is_limit_exceeded")["reproduce"] = "x" * 2_000_000
    markup = render_html(document)
    assert len(markup) < len(render_html(sample_results())) + 20_000
    cut = next(pre.text() for pre in parse(markup).find_all("pre") if pre.text().startswith("xxx"))
    assert cut == "x" * 8_000 + "… 1,992,000 more characters in results.json"


def test_a_run_without_checks_is_not_a_pass():
    document = sample_results()
    document["results"] = []
    assert parse(render_html(document)).find("p", cls="verdict").text() == "Failed: no checks ran"
    markdown = render_markdown(document)
    assert markdown.startswith("### ❌ ECR conformance of moto-5.2.5: no checks ran") and "| Operation" not in markdown


def test_an_incomplete_run_never_looks_green():
    document = sample_results()
    document["results"] = [r for r in document["results"] if r["outcome"] == "pass"]
    document["run"].update(complete=False, not_run=7, stopped="interrupted (KeyboardInterrupt)")
    assert not list(Draft7Validator(schema()).iter_errors(document))
    verdict = parse(render_html(document)).find("p", cls="verdict")
    assert "bad" in verdict.classes
    assert verdict.text().startswith("Incomplete: interrupted (KeyboardInterrupt); 7 of ")
    assert render_markdown(document).startswith("### ⛔ ECR conformance of moto-5.2.5: incomplete: interrupted")


def test_a_run_that_judged_nothing_says_so():
    document = sample_results()
    for r in document["results"]:
        r["outcome"] = "unsupported"
    verdict = parse(render_html(document)).find("p", cls="verdict")
    assert verdict.text().startswith("Nothing judged: 0 of ") and "Passed" not in verdict.text()
    assert render_markdown(document).startswith("### ⚪ ECR conformance of moto-5.2.5: nothing judged: 0 of")


def test_a_requirement_is_the_whole_first_paragraph_of_the_docstring():
    wrapped = """BatchGetImage MUST answer absent images as failures of
    those items, never as an error of the whole call.

    How the check goes about it."""
    assert requirement(wrapped) == ("BatchGetImage MUST answer absent images as failures of those items, never as an "
                                    "error of the whole call.")


def test_a_new_run_clears_only_an_earlier_runs_report_files(tmp_path):
    for name in REPORT_FILES:
        (tmp_path / name).write_text("an earlier run's")
    (tmp_path / PROGRAMS_DIR).mkdir()
    (tmp_path / PROGRAMS_DIR / "PutImage-stateful-test_digest.json").write_text("{}")
    (tmp_path / "notes.txt").write_text("the user's")
    clear_reports(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]
    (tmp_path / PROGRAMS_DIR).mkdir()
    (tmp_path / PROGRAMS_DIR / "keep.txt").write_text("the user's")
    clear_reports(tmp_path)
    assert (tmp_path / PROGRAMS_DIR / "keep.txt").is_file()
