"""Several runs side by side: requirements (rows, grouped by operation and area) by target (columns).

    python -m ecrconf.report.matrix A/results.json B/results.json ... [--html OUT.html] [--markdown OUT.md]

Rows are grouped as in report.html, by operation and suite area. Each cell is the worst outcome of
the requirement's checks on that target, with the count when its checks disagree ("fail 2/5");
unsupported stays unsupported, and a requirement a run did not check at all is "missing". A column
is named by the run's target, or by the file's folder when the run has none. Without --html or
--markdown the Markdown goes to standard output. Exit status 4, with one line, when a file cannot be
read or written, or is not a results document.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path

from ecrconf.report import markdown
from ecrconf.run import outcomes
from ecrconf.report.html import CSS, badge, e
from ecrconf.report import results_file
from ecrconf.report.results_file import EXIT_BAD_INPUT, InvalidResults, load

MISSING = "missing"


@dataclass(frozen=True)
class Cell:
    counts: Counter

    @property
    def outcome(self) -> str:
        return outcomes.worst(self.counts) if self.counts else MISSING

    @property
    def text(self) -> str:
        if not self.counts:
            return MISSING
        label, total = outcomes.LABEL[self.outcome], sum(self.counts.values())
        return label if self.counts[self.outcome] == total else f"{label} {self.counts[self.outcome]}/{total}"

    @property
    def detail(self) -> str:
        return ", ".join(f"{self.counts[o]} {outcomes.LABEL[o]}" for o in outcomes.SEVERITY if self.counts[o])


@dataclass(frozen=True)
class Matrix:
    targets: list[str]
    runs: list[dict]
    rows: dict[str, list[str]]  # heading (operation · area) -> requirements, in the order the runs list them
    cells: dict[tuple[str, str, int], Cell]  # (heading, requirement, column)

    def cell(self, heading: str, requirement: str, column: int) -> Cell:
        return self.cells.get((heading, requirement, column), Cell(Counter()))


def build(documents: list[tuple[str, dict]]) -> Matrix:
    """The matrix of (path, results document) pairs, columns in the given order."""
    rows: dict[str, dict[str, None]] = defaultdict(dict)
    tallies: dict[tuple[str, str, int], Counter] = defaultdict(Counter)
    for column, (_, document) in enumerate(documents):
        for r in document["results"]:
            heading = outcomes.heading(r)
            rows[heading].setdefault(r["requirement"])
            tallies[(heading, r["requirement"], column)][r["outcome"]] += 1
    return Matrix(targets=column_names(documents), runs=[d["run"] for _, d in documents],
                  rows={heading: list(rows[heading]) for heading in sorted(rows)},
                  cells={key: Cell(c) for key, c in tallies.items()})


def column_names(documents: list[tuple[str, dict]]) -> list[str]:
    names = [d["run"].get("target") or Path(path).resolve().parent.name or str(path) for path, d in documents]
    seen: Counter = Counter()
    unique = []
    for name in names:
        seen[name] += 1
        unique.append(name if names.count(name) == 1 else f"{name} #{seen[name]}")
    return unique


def render_markdown(matrix: Matrix) -> str:
    text, code = markdown.text, markdown.code
    head = ["Requirement", *(text(t) for t in matrix.targets)]
    lines = ["### ECR conformance by target", "",
             "| " + " | ".join(head) + " |", "|---" * len(head) + "|"]
    lines.append("| *checks passing* | " + " | ".join(_passing(run_results) for run_results in _results_of(matrix))
                 + " |")
    for heading, requirements in matrix.rows.items():
        lines.append(f"| **{text(heading)}** |" + " |" * len(matrix.targets))
        for requirement in requirements:
            cells = [matrix.cell(heading, requirement, i).text for i in range(len(matrix.targets))]
            lines.append(f"| {text(requirement)} | " + " | ".join(cells) + " |")
    lines += ["", "Runs: " + "; ".join(f"{text(name)}: {code(run['endpoint'])}, suite {text(run['suite_version'])}, "
                                       f"{text(run['started'])}" for name, run in zip(matrix.targets, matrix.runs))]
    return "\n".join(lines) + "\n"


def render_html(matrix: Matrix) -> str:
    head = "".join(f'<th scope="col">{e(t)}</th>' for t in matrix.targets)
    runs = "".join(f"<td>{e(run['endpoint'])}<br>suite {e(run['suite_version'])}<br>{e(run['started'])}</td>"
                   for run in matrix.runs)
    passing = "".join(f"<td>{e(_passing(rs))}</td>" for rs in _results_of(matrix))
    body = [f'<tr class="runs"><th>run</th>{runs}</tr>', f'<tr class="passing"><th>checks passing</th>{passing}</tr>']
    for heading, requirements in matrix.rows.items():
        body.append(f'<tr class="group"><th colspan="{len(matrix.targets) + 1}">{e(heading)}</th></tr>')
        for requirement in requirements:
            cells = "".join(_html_cell(matrix.cell(heading, requirement, i)) for i in range(len(matrix.targets)))
            body.append(f'<tr class="requirement"><th scope="row">{e(requirement)}</th>{cells}</tr>')
    colours = "".join(f".o-{o}{{background:{bg};color:{fg}}}" for o, (bg, fg) in outcomes.COLOUR.items())
    legend = "".join(f"<li>{badge(o)} {e(outcomes.MEANING[o])}</li>" for o in outcomes.COLUMNS)
    return "\n".join([
        "<!doctype html>", '<html lang="en">',
        '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>ECR conformance by target</title>",
        f"<style>{colours}{CSS}{MATRIX_CSS}</style></head>",
        "<body><header><h1>ECR conformance by target</h1>",
        f"<p>{len(matrix.targets)} runs, {sum(len(r) for r in matrix.rows.values())} requirements. "
        "Each cell: the worst outcome of the requirement's checks on that target.</p></header>",
        f'<main><table class="matrix"><thead><tr><th>requirement</th>{head}</tr></thead>',
        f'<tbody>{"".join(body)}</tbody></table>',
        f'<ul class="legend">{legend}<li><span class="badge missing">missing</span> '
        "the run has no check of this requirement</li></ul></main>",
        "</body></html>",
    ]) + "\n"


def _html_cell(cell: Cell) -> str:
    css = "missing" if not cell.counts else f"o-{cell.outcome}"
    return f'<td class="{e(css)}" title="{e(cell.detail or MISSING)}">{e(cell.text)}</td>'


def _results_of(matrix: Matrix) -> list[Counter]:
    totals: list[Counter] = [Counter() for _ in matrix.targets]
    for (_, _, column), cell in matrix.cells.items():
        totals[column] += cell.counts
    return totals


def _passing(counts: Counter) -> str:
    return f"{counts['pass']} of {sum(counts.values())}"


MATRIX_CSS = """
table.matrix th[scope=row]{font-weight:normal;max-width:60ch}
table.matrix td{white-space:nowrap;text-align:center;vertical-align:middle;font-weight:600;font-size:13px}
table.matrix tr.runs td,table.matrix tr.passing td{font-weight:normal;font-size:12px;white-space:normal}
table.matrix thead th{position:sticky;top:0;z-index:1}
.missing{background:#fff;color:#8c959f;font-style:italic;font-weight:normal!important}
header p{margin:0}
"""


def main(argv: list[str] | None = None) -> int:
    parser = results_file.OneLineParser(prog="python -m ecrconf.report.matrix", description=__doc__.split("\n")[0])
    parser.add_argument("files", nargs="+", metavar="results.json", help="results documents, one per column")
    parser.add_argument("--html", metavar="OUT.html", help="write the matrix as a self-contained HTML page")
    parser.add_argument("--markdown", metavar="OUT.md", help="write the matrix as Markdown")
    args = parser.parse_args(argv)
    try:
        matrix = build([(path, load(path)) for path in args.files])
    except InvalidResults as exc:
        print(f"ecrconf.report.matrix: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    outputs = [(args.html, render_html), (args.markdown, render_markdown)]
    if not args.html and not args.markdown:
        sys.stdout.write(render_markdown(matrix))
    for path, render in outputs:
        if path:
            try:
                Path(path).write_text(render(matrix), encoding="utf-8")
            except OSError as exc:
                print(f"ecrconf.report.matrix: cannot write {path}: {exc.strerror or exc}", file=sys.stderr)
                return EXIT_BAD_INPUT
    return 0


if __name__ == "__main__":
    sys.exit(main())
