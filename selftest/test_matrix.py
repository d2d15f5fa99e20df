"""The cross-target matrix: a cell per requirement and target, unsupported and missing shown as such."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ecrconf.report.matrix import build, render_html, render_markdown
from selftest.html_tree import external_references, parse
from selftest.results_samples import FINDINGS, FRESH, INVALID, SCAN, SIGV4, VISIBLE, sample_results

ROOT = Path(__file__).resolve().parent.parent
SCANS = f"{SCAN} · start_image_scan"


def ministack_like() -> dict:
    """MiniStack: no image scanning at all, and no SigV4 check in the run."""
    document = sample_results(target="ministack-1.5.33", expectations=None)
    for r in document["results"]:
        if r["operation"] in (SCAN, FINDINGS):
            r.update(outcome="unsupported", message="unsupported: HTTP 400 InvalidAction")
    document["results"] = [r for r in document["results"] if r["requirement"] != SIGV4]
    return document


@pytest.fixture
def files(tmp_path) -> list[Path]:
    documents = {"moto": sample_results(), "ministack": ministack_like(), "real-ecr": sample_results(target="")}
    paths = []
    for folder, document in documents.items():
        (tmp_path / folder).mkdir()
        path = tmp_path / folder / "results.json"
        path.write_text(json.dumps(document))
        paths.append(path)
    return paths


def documents(paths: list[Path]) -> list[tuple[str, dict]]:
    return [(str(p), json.loads(p.read_text())) for p in paths]


def requirement_count() -> int:
    return len({(r["operation"], r["area"], r["requirement"]) for r in sample_results()["results"]})


def test_columns_are_named_by_target_or_folder(files):
    assert build(documents(files)).targets == ["moto-5.2.5", "ministack-1.5.33", "real-ecr"]


def test_same_target_twice_gets_two_columns(files):
    twice = build(documents([files[0], files[0]]))
    assert twice.targets == ["moto-5.2.5 #1", "moto-5.2.5 #2"]


def test_cells_show_the_worst_outcome_unsupported_and_missing(files):
    matrix = build(documents(files))
    assert matrix.cell(SCANS, FRESH, 0).text == "pass"
    assert matrix.cell(SCANS, FRESH, 1).text == "unsupported"
    assert matrix.cell(f"{FINDINGS} · start_image_scan", VISIBLE, 0).text == "unsupported"
    assert matrix.cell(f"{SCAN} · protocol", SIGV4, 1).text == "missing"
    assert matrix.cell(SCANS, INVALID, 0).text == "unexpected pass 1/3"
    assert matrix.cell(SCANS, INVALID, 0).detail == "1 unexpected pass, 1 expected, 1 pass"


def test_html_has_a_cell_per_requirement_and_target(files):
    root = parse(render_html(build(documents(files))))
    head = [th.text() for th in root.find("thead").find_all("th")]
    assert head == ["requirement", "moto-5.2.5", "ministack-1.5.33", "real-ecr"]
    rows = root.find_all("tr", cls="requirement")
    assert len(rows) == requirement_count()
    cells = {tr.find("th").text(): [td.text() for td in tr.find_all("td")] for tr in rows}
    assert all(len(c) == 3 for c in cells.values())
    assert cells[FRESH] == ["pass", "unsupported", "pass"]
    assert cells[SIGV4] == ["skipped", "missing", "skipped"]
    groups = [tr.text() for tr in root.find_all("tr", cls="group")]
    assert groups == [f"{FINDINGS} · start_image_scan", f"{SCAN} · protocol", SCANS]
    unsupported = [td for td in root.find_all("td") if td.text() == "unsupported"]
    assert unsupported and all("o-unsupported" in td.classes for td in unsupported)
    assert external_references(root) == []


def test_markdown_has_a_row_per_requirement_and_a_column_per_target(files):
    markdown = render_markdown(build(documents(files)))
    rows = [line for line in markdown.splitlines() if line.startswith("| ") and not line.startswith("| **")]
    assert rows[0] == "| Requirement | moto-5.2.5 | ministack-1.5.33 | real-ecr |"
    body = rows[2:]  # after the "checks passing" row
    assert len(body) == requirement_count()
    assert all(line.count(" | ") == 3 for line in body)
    assert any(line.endswith("| pass | unsupported | pass |") for line in body)
    assert any(line.endswith("| skipped | missing | skipped |") for line in body)


def test_target_text_is_escaped(tmp_path):
    document = sample_results(target="<b>bold</b>")
    document["results"][0]["requirement"] = "<script>alert(1)</script>"
    matrix = build([("x/results.json", document)])
    markup = render_html(matrix)
    assert "<script>" not in markup and "<b>" not in markup
    assert "&lt;script&gt;" in render_markdown(matrix) and "<b>" not in render_markdown(matrix)


def run_matrix(*args) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ecrconf.report.matrix", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=60)


def test_cli_writes_html_and_markdown(files, tmp_path):
    done = run_matrix(*files, "--html", tmp_path / "m.html", "--markdown", tmp_path / "m.md")
    assert done.returncode == 0, done.stderr
    assert len(parse((tmp_path / "m.html").read_text()).find_all("tr", cls="requirement")) == requirement_count()
    assert "| Requirement | moto-5.2.5 | ministack-1.5.33 | real-ecr |" in (tmp_path / "m.md").read_text()


def test_cli_prints_markdown_without_outputs(files):
    done = run_matrix(*files)
    assert done.returncode == 0 and done.stdout.startswith("### ECR conformance by target")


def test_cli_bad_input_is_one_line_and_exit_4(files, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "ecrconf-results/0"}')
    done = run_matrix(files[0], bad, "--html", tmp_path / "m.html")
    assert done.returncode == 4
    assert len(done.stderr.strip().splitlines()) == 1 and str(bad) in done.stderr
    assert not (tmp_path / "m.html").exists()
