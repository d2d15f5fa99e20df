"""What a replay found: a JSON document (``format: ecrconf-replay/1``), a Markdown table and one summary line."""

from __future__ import annotations

import json
from pathlib import Path

from ecrconf.wire.exchange import printable

FORMAT = "ecrconf-replay/1"


def document(recordings, rows: list[dict], leftovers: list[str], *, endpoint: str) -> dict:
    """The replay's results: where the recordings came from, the endpoint replayed against, one row per
    recorded exchange (``recorded``/``replayed``: status and error type; ``differences``: lines; or
    ``skipped``: why not replayed), what could not be deleted, and counts."""
    replayed = [row for row in rows if "skipped" not in row]
    return {
        "format": FORMAT,
        "recordings": [{"file": r.path.name, **{k: r.meta.get(k) for k in ("endpoint", "region", "realAws",
                                                                             "target", "recorded", "suiteVersion")}}
                       for r in recordings],
        "endpoint": endpoint,
        "exchanges": rows,
        "leftovers": leftovers,
        "summary": {"exchanges": len(rows), "replayed": len(replayed),
                    "skipped": len(rows) - len(replayed),
                    "different": sum(1 for row in replayed if row["differences"])},
    }


def summary_line(found: dict) -> str:
    s = found["summary"]
    line = (f"replayed {s['replayed']} of {s['exchanges']} exchanges against {found['endpoint']}: "
            f"{s['different']} answered differently, {s['skipped']} not replayed")
    if found["leftovers"]:
        line += f"; {len(found['leftovers'])} repositories could not be deleted: {found['leftovers'][0]}"
    return line


def markdown(found: dict) -> str:
    """A table of the exchanges answered differently (and those not replayed), in the order replayed."""
    lines = [f"# Replay against {found['endpoint']}", "", summary_line(found), "",
             "| # | check | operation | recorded | replayed | differences |", "|---|---|---|---|---|---|"]
    for row in found["exchanges"]:
        if row.get("differences") or row.get("skipped"):
            what = row.get("skipped") or "<br>".join(row["differences"])
            lines.append(f"| {row['file']}:{row['index']} | {_cell(row['check'])} | {row['operation']} | "
                         f"{_answer(row.get('recorded'))} | {_answer(row.get('replayed'))} | {_cell(what)} |")
    return "\n".join(lines) + "\n"


def _answer(answer: dict | None) -> str:
    if not answer:
        return ""
    return " ".join(filter(None, (f"HTTP {answer['status']}" if answer["status"] is not None else "no answer",
                                  _cell(answer["error"] or ""))))


def _cell(text: str) -> str:
    return printable(text).replace("|", "\\|").replace("\n", " ")


def write(found: dict, *, json_path: Path | None, markdown_path: Path | None) -> None:
    """Write the JSON and Markdown files asked for; OSError when one cannot be written."""
    if json_path:
        json_path.write_text(json.dumps(found, indent=1))
    if markdown_path:
        markdown_path.write_text(markdown(found))
