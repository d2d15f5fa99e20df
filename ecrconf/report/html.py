"""A results document as one self-contained HTML page: no external resources, readable offline.

The fingerprint and verdict, outcomes per operation and per requirement, the baseline diff when there
is one, then every check, worst first, each non-pass one expandable to its message, request, response
and reproduction command. The content needs no JavaScript; a little inline script adds the outcome
filters (also reachable as report.html#show=fail,error). Everything from the results is escaped: it
holds text the target sent.
"""

from __future__ import annotations

import html
from collections import defaultdict

from ecrconf.run import outcomes
from ecrconf.report.compare import KINDS, TITLES


BLOCK_LIMIT = 8_000  # characters of one message, request, response or command shown; results.json has it all


def e(value: object) -> str:
    return html.escape(str(value), quote=True)


def block(text: str) -> str:
    """Escaped text for a <pre>, cut at BLOCK_LIMIT so that one huge excerpt cannot swamp the page."""
    if len(text) <= BLOCK_LIMIT:
        return e(text)
    rest = f"… {len(text) - BLOCK_LIMIT:,} more characters in results.json"
    return f'{e(text[:BLOCK_LIMIT])}<span class="cut">{rest}</span>'


_VERDICT_CLASS = {"passed": "ok", "failed": "bad", "incomplete": "bad", "nothing judged": "void"}


def badge(outcome: str) -> str:
    return f'<span class="badge o-{e(outcome)}">{e(outcomes.LABEL[outcome])}</span>'


def render_html(results: dict, *, diff: dict | None = None) -> str:
    run, records = results["run"], results["results"]
    verdict = outcomes.verdict(results)
    name = outcomes.target_name(run)
    sections = [_operations(records)]
    if diff is not None:
        sections.append(_diff(diff))
    sections += [_requirements(records), _checks(records)]
    nav = [("operations", "Per operation")] + ([("diff", "Compared with baseline")] if diff is not None else []) \
        + [("requirements", "Per requirement"), ("checks", "Checks")]
    return "\n".join([
        "<!doctype html>",
        '<html lang="en">',
        '<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>ECR conformance: {e(name)}</title>",
        f"<style>{_css()}</style></head>",
        "<body>",
        "<header>",
        f"<h1>ECR conformance of {e(name)}</h1>",
        f'<p class="verdict {_VERDICT_CLASS[verdict.state]}">{e(verdict.title)}: {e(verdict.sentence)}</p>',
        '<dl class="fingerprint">' + "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>"
                                             for k, v in outcomes.fingerprint(run)) + "</dl>",
        "<nav>" + " · ".join(f'<a href="#{anchor}">{label}</a>' for anchor, label in nav) + "</nav>",
        "</header>",
        "<main>",
        *sections,
        "</main>",
        f"<script>{SCRIPT}</script>",
        "</body></html>",
    ]) + "\n"


def _count_cells(counter, columns) -> str:
    return "".join(f'<td class="n{" o-" + e(o) if counter[o] else ""}">{counter[o] or "·"}</td>' for o in columns)


def _operations(records: list[dict]) -> str:
    by_operation = _group(records)
    columns = _columns(records)
    head = "".join(f'<th title="{e(outcomes.MEANING[o])}">{e(outcomes.LABEL[o])}</th>' for o in columns)
    rows = [f"<tr><th>{e(op)}</th>{_count_cells(outcomes.counts(rs), columns)}<td class=n>{len(rs)}</td></tr>"
            for op, rs in by_operation.items()]
    if len(by_operation) > 1:
        rows.append(f'<tr class="total"><th>all</th>{_count_cells(outcomes.counts(records), columns)}'
                    f"<td class=n>{len(records)}</td></tr>")
    legend = "".join(f"<li>{badge(o)} {e(outcomes.MEANING[o])}</li>" for o in columns)
    return (f'<section id="operations"><h2>Outcomes per operation</h2>'
            f'<table class="counts"><thead><tr><th>operation</th>{head}<th>total</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table><ul class="legend">{legend}</ul></section>')


def _requirements(records: list[dict]) -> str:
    rows = []
    for heading, rs in _group(records, by_area=True).items():
        rows.append(f'<tr class="group"><th colspan="4">{e(heading)}</th></tr>')
        by_requirement: dict[str, list[dict]] = defaultdict(list)
        for r in rs:
            by_requirement[r["requirement"]].append(r)
        for requirement, cases in by_requirement.items():
            c = outcomes.counts(cases)
            worst = outcomes.worst(c)
            evidence = ", ".join(sorted({r["evidence"] for r in cases if r["evidence"]})) or "—"
            breakdown = " · ".join(f"{c[o]} {outcomes.LABEL[o]}" for o in outcomes.SEVERITY if c[o])
            rows.append(f'<tr class="requirement" data-outcome="{e(worst)}"><td>{badge(worst)}</td>'
                        f"<td>{e(requirement)}</td><td>{e(evidence)}</td><td>{e(breakdown)}</td></tr>")
    return ('<section id="requirements"><h2>Outcomes per requirement</h2><table class="requirements">'
            "<thead><tr><th>worst</th><th>requirement</th><th>evidence</th><th>checks</th></tr></thead>"
            f'<tbody>{"".join(rows)}</tbody></table></section>')


def _checks(records: list[dict]) -> str:
    present = outcomes.counts(records)
    boxes = "".join(f'<label><input type="checkbox" value="{e(o)}" checked> {badge(o)} {present[o]}</label>'
                    for o in outcomes.SEVERITY if present[o])
    filters = (f'<div id="filters" hidden><span>Show:</span> {boxes}'
               '<button type="button" id="open-all">open all</button>'
               '<button type="button" id="close-all">close all</button></div>')
    groups = []
    for heading, rs in _group(records, by_area=True).items():
        items = "".join(_check(r) for r in sorted(rs, key=outcomes.severity_key))
        groups.append(f'<div class="operation"><h3>{e(heading)}</h3><ol class="checks">{items}</ol></div>')
    return f'<section id="checks"><h2>Checks, worst first</h2>{filters}{"".join(groups)}</section>'


def _check(r: dict) -> str:
    head = f'{badge(r["outcome"])} <code class="id">{e(r["id"])}</code>'
    if r["outcome"] == "pass":
        return f'<li class="check" data-outcome="pass">{head} <span class="req">{e(r["requirement"])}</span></li>'
    line = outcomes.first_line(r.get("message"), 160)
    about = [("requirement", r["requirement"]),
             ("evidence", " — ".join(x for x in (r["evidence"], r.get("source", "")) if x)),
             ("strict", {True: "yes", False: "no (advisory)"}.get(r.get("strict"), "")),
             ("known deviation", r.get("known_deviation", "")),
             ("pytest node", r.get("nodeid", "")),
             ("duration", f'{r["duration"]:.2f} s' if "duration" in r else "")]
    facts = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in about if v)
    blocks = "".join(f'<h4>{title}</h4><pre class="{key}">{block(r[key])}</pre>'
                     for key, title in (("message", "Message"), ("request", "Request"), ("response", "Response"),
                                        ("reproduce", "Reproduce")) if r.get(key))
    return (f'<li class="check" data-outcome="{e(r["outcome"])}"><details><summary>{head}'
            f'{f" <span class=msg>{e(line)}</span>" if line else ""}</summary>'
            f'<div class="body"><dl>{facts}</dl>{blocks}</div></details></li>')


def _diff(diff: dict) -> str:
    base = diff.get("baseline", {})
    against = ", ".join(str(base[k]) for k in ("target", "endpoint", "started") if base.get(k))
    counts = " · ".join(f"{len(diff[k])} {TITLES[k]}" for k in KINDS) + f" · {diff['unchanged']} unchanged"
    parts = ['<section id="diff"><h2>Compared with the baseline</h2>',
             f"<p>Baseline: {e(against or 'unnamed run')}. {e(counts)}.</p>"]
    for kind in KINDS:
        entries = diff[kind]
        if not entries:
            continue
        rows = "".join(
            f'<tr><td><code class="id">{e(x["id"])}</code></td>'
            f'<td>{badge(x["old"]) if x["old"] else "absent"} → {badge(x["new"]) if x["new"] else "absent"}</td>'
            f'<td>{e(outcomes.first_line(x.get("message"), 200) if x["new"] not in (None, "pass") else "")}</td></tr>'
            for x in entries)
        parts.append(f'<h3 class="diff-{e(kind)}">{e(TITLES[kind].capitalize())} ({len(entries)})</h3>'
                     f'<table class="diff"><thead><tr><th>id</th><th>outcome</th><th>message</th></tr></thead>'
                     f"<tbody>{rows}</tbody></table>")
    return "".join(parts) + "</section>"


def _group(records: list[dict], *, by_area: bool = False) -> dict[str, list[dict]]:
    """Records by operation, or by operation and area (outcomes.heading), sorted."""
    grouped: dict[str, list[dict]] = defaultdict(list)
    for r in records:
        grouped[outcomes.heading(r) if by_area else r["operation"] or "(no operation)"].append(r)
    return dict(sorted(grouped.items()))


def _columns(records: list[dict]) -> list[str]:
    present = outcomes.counts(records)
    return [o for o in outcomes.COLUMNS if present[o] or o in ("pass", "fail", "error", "unsupported")]


def _css() -> str:
    colours = "".join(f".o-{o}{{background:{bg};color:{fg}}}" for o, (bg, fg) in outcomes.COLOUR.items())
    return colours + CSS


CSS = """
[hidden]{display:none!important}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b1f24;background:#fff}
header{padding:16px 24px;border-bottom:1px solid #d0d7de;background:#f6f8fa}
main{padding:0 24px 40px}
h1{font-size:22px;margin:0 0 6px}h2{font-size:18px;margin:28px 0 10px;border-bottom:1px solid #d0d7de}
h3{font-size:15px;margin:18px 0 6px}h4{font-size:12px;margin:10px 0 2px;text-transform:uppercase;color:#57606a}
.verdict{font-size:16px;font-weight:600;margin:4px 0 10px;padding:6px 10px;border-radius:4px;display:inline-block}
.verdict.ok{background:#d8f0d8;color:#14501a}.verdict.bad{background:#f7d4d4;color:#7d1010}.verdict.void{background:#dde3ea;color:#2d3b4a}
.fingerprint{display:grid;grid-template-columns:repeat(2,max-content minmax(0,1fr));gap:2px 14px;margin:0 0 8px;
max-width:1200px}
.fingerprint dt{color:#57606a}.fingerprint dd{margin:0;font-family:ui-monospace,Menlo,Consolas,monospace;
word-break:break-all}
nav a{color:#0550ae}
table{border-collapse:collapse;margin:6px 0}
th,td{border:1px solid #d0d7de;padding:3px 8px;text-align:left;vertical-align:top}
thead th{background:#f6f8fa}
td.n{text-align:right;font-variant-numeric:tabular-nums;min-width:3.5em}
tr.total th,tr.total td{font-weight:600}
tr.group th{background:#eef1f4}
table.requirements td:nth-child(2){max-width:70ch}
.badge{display:inline-block;min-width:6.5em;text-align:center;padding:0 6px;border-radius:3px;font-size:12px;
font-weight:600;white-space:nowrap}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:4px 18px;font-size:12px;color:#57606a}
#filters{position:sticky;top:0;background:#fff;padding:6px 0;border-bottom:1px solid #d0d7de;z-index:1}
#filters label{margin-right:10px;white-space:nowrap;cursor:pointer}
#filters button{margin-left:6px}
ol.checks{list-style:none;padding:0;margin:0}
li.check{padding:3px 0;border-bottom:1px solid #eef1f4}
li.check[data-outcome=pass]{padding-left:1.05em}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:12px}
code.id{word-break:break-all}
summary{cursor:pointer}
.msg{color:#57606a}.req{color:#57606a}
.cut{display:block;margin-top:4px;font-style:italic;color:#57606a}
.body{margin:6px 0 8px 1.2em;padding:6px 10px;border-left:3px solid #d0d7de}
.body dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 12px;margin:0}
.body dt{color:#57606a}.body dd{margin:0}
pre{white-space:pre-wrap;word-break:break-all;background:#f6f8fa;border:1px solid #d0d7de;padding:6px 8px;
margin:0;max-height:24em;overflow:auto}
@media print{#filters{display:none!important}details{display:block}}
"""

# Plain ES5 on purpose: it runs in any browser that opens a saved file. Filters toggle [hidden] on checks;
# the chosen outcomes go to the address (#show=a,b) so that a filtered view can be shared.
SCRIPT = """
(function () {
  var panel = document.getElementById('filters');
  if (!panel) { return; }
  var boxes = Array.prototype.slice.call(panel.querySelectorAll('input[type=checkbox]'));
  var checks = Array.prototype.slice.call(document.querySelectorAll('li.check'));
  var groups = Array.prototype.slice.call(document.querySelectorAll('#checks .operation'));
  function apply(record) {
    var shown = {};
    boxes.forEach(function (b) { shown[b.value] = b.checked; });
    checks.forEach(function (c) { c.hidden = !shown[c.getAttribute('data-outcome')]; });
    groups.forEach(function (g) { g.hidden = !g.querySelector('li.check:not([hidden])'); });
    if (record && window.history && history.replaceState) {
      var on = boxes.filter(function (b) { return b.checked; }).map(function (b) { return b.value; });
      try { history.replaceState(null, '', on.length === boxes.length ? '#checks' : '#show=' + on.join(',')); }
      catch (err) { /* some browsers refuse replaceState on file: pages; the filter still works */ }
    }
  }
  function fromAddress() {
    var m = /^#show=([a-z,-]*)$/.exec(location.hash);
    if (!m) { return; }
    var wanted = m[1].split(',');
    boxes.forEach(function (b) { b.checked = wanted.indexOf(b.value) >= 0; });
    apply(false);
  }
  boxes.forEach(function (b) { b.addEventListener('change', function () { apply(true); }); });
  function openAll(open) {
    checks.forEach(function (c) { var d = c.querySelector('details'); if (d && !c.hidden) { d.open = open; } });
  }
  document.getElementById('open-all').addEventListener('click', function () { openAll(true); });
  document.getElementById('close-all').addEventListener('click', function () { openAll(false); });
  window.addEventListener('hashchange', fromAddress);
  panel.hidden = false;
  apply(false);
  fromAddress();
  document.documentElement.setAttribute('data-filters', 'ready');
})();
"""
