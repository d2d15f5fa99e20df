"""Known deviations of one target, kept as data: expectations/<target>.toml.

Each table under ``[deviations]`` is keyed by a test id and says what the target was seen to do
(``seen``), optionally why it is accepted (``reason``), a ``link`` and an ``expires`` date. Listed
tests become strict expected failures: a new failure fails the run, and so does a listed test that
starts to pass, so the file stays true.

    python -m ecrconf.run.expectations TARGET RESULTS_JSON   # rewrite expectations/TARGET.toml from a run

Keys are check ids (results.json ``id``). An entry also records the answer the failure was about
(``status``, and ``error``: the error type, absent when the answer had none); the deviation is known
only while the target answers the same: another status or error type is a new failure, and no answer
at all is an error. Regenerating lists every check that failed or failed as expected, with what this
run received, drops those that now pass, keeps the entries the run did not judge (not selected, not
reached, errored) as they are, and keeps the ``reason``, ``link`` and ``expires`` already written.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import functools
import json
import sys
import tomllib
import types
import typing
from dataclasses import dataclass
from pathlib import Path

from ecrconf import paths
from ecrconf.report import results_file

ROOT = paths.data("expectations")
KEPT = ("reason", "link", "expires")


@dataclass(frozen=True)
class Expectation:
    """One known deviation. status and error say what the target answered (HTTP status, sanitised
    error type; None when the answer had none): the failure is known only if this run receives the same."""
    test_id: str
    seen: str
    status: int | None = None
    error: str | None = None
    reason: str = ""
    link: str = ""
    expires: datetime.date | None = None

    def expired(self, today: datetime.date) -> bool:
        return self.expires is not None and today > self.expires

    def matches(self, answer: dict | None) -> bool:
        """Whether a failure whose answer was ``{"status": int, "error": str | None}`` (None: the failure
        names no answered exchange) is this deviation. An entry that records a status holds only for the
        same status and error type; one written without a status holds for any deviation."""
        if self.status is None:
            return True
        return answer is not None and (answer["status"], answer["error"]) == (self.status, self.error)

    def recorded(self) -> str:
        """What the entry says was seen, in one line: "HTTP 400 RepositoryNotFoundException" or its text."""
        return describe_answer({"status": self.status, "error": self.error}) if self.status else self.seen


def describe_answer(answer: dict | None) -> str:
    """{"status": 400, "error": "X"} as "HTTP 400 X"; None (nothing answered) as "no answer"."""
    if answer is None:
        return "no answer"
    return f"HTTP {answer['status']}" + (f" {answer['error']}" if answer.get("error") else "")


def path_for(target_name: str) -> Path:
    return ROOT / f"{target_name}.toml"


class InvalidExpectations(ValueError):
    """An expectations file that cannot be applied; the message is one line naming the file and the problem."""


def load(path: Path) -> dict[str, Expectation]:
    """{check id: Expectation} from an expectations file (read once per version of the file in a process:
    a run reads it when it starts and again to mark what it collected).

    Every entry of ``[deviations]`` must be a table whose keys are fields of ``Expectation`` (but
    ``test_id``, which is the key) with values of the field's type: ``seen`` (string, required),
    ``status`` (integer), ``error``, ``reason``, ``link`` (strings), ``expires`` (a TOML date, such as
    2026-12-31). Other top-level tables are left alone.
    Raises InvalidExpectations for an unreadable file, TOML syntax (with its line) and any entry that breaks this.
    """
    try:
        version = path.stat()
        return dict(_load(path, version.st_mtime_ns, version.st_size))
    except OSError as exc:
        raise InvalidExpectations(f"{path}: cannot read: {exc.strerror or exc}") from None


@functools.lru_cache(maxsize=8)
def _load(path: Path, mtime_ns: int, size: int) -> dict[str, Expectation]:
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidExpectations(f"{path}: not valid TOML: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidExpectations(f"{path}: cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    deviations = data.get("deviations", {})
    if not isinstance(deviations, dict):
        raise InvalidExpectations(f"{path}: 'deviations' must be a table of [deviations.\"<check id>\"] entries")
    return {test_id: _entry(path, test_id, entry) for test_id, entry in deviations.items()}


@functools.cache
def _field_types() -> dict[str, tuple[type, ...]]:
    """{field: the types its value may have in a file}, from Expectation's own annotations."""
    found = {}
    for name, hint in typing.get_type_hints(Expectation).items():
        if name == "test_id":
            continue
        options = typing.get_args(hint) if isinstance(hint, types.UnionType) else (hint,)
        found[name] = tuple(t for t in options if t is not type(None))
    return found


def _type_ok(value: object, allowed: tuple[type, ...]) -> bool:
    if isinstance(value, bool) and bool not in allowed:  # TOML true is not a status code
        return False
    if isinstance(value, datetime.datetime) and datetime.datetime not in allowed:  # a date, not a time
        return False
    return isinstance(value, allowed)


_TYPE_WORDS = {str: "a string", int: "an integer", datetime.date: "a TOML date such as 2026-12-31"}


def _entry(path: Path, test_id: str, entry: object) -> Expectation:
    where = f"{path}: entry {test_id!r}"
    if not isinstance(entry, dict):
        raise InvalidExpectations(f"{where} must be a table with at least 'seen'")
    fields = _field_types()
    unknown = sorted(set(entry) - set(fields))
    if unknown:
        raise InvalidExpectations(f"{where} has unknown key(s) {', '.join(unknown)} (known: {', '.join(fields)})")
    required = [f.name for f in dataclasses.fields(Expectation)
                if f.name != "test_id" and f.default is dataclasses.MISSING]
    for name in required:
        if name not in entry:
            raise InvalidExpectations(f"{where} has no {name!r}")
    for name, value in entry.items():
        if not _type_ok(value, fields[name]):
            wanted = " or ".join(_TYPE_WORDS.get(t, t.__name__) for t in fields[name])
            raise InvalidExpectations(f"{where}: {name!r} must be {wanted}, got {value!r}"[:300])
    if "status" in entry and not 100 <= entry["status"] <= 599:
        raise InvalidExpectations(f"{where}: 'status' must be an HTTP status (100-599), got {entry['status']}")
    if "error" in entry and ("status" not in entry or not entry["error"]):
        raise InvalidExpectations(f"{where}: 'error' names the error type seen with 'status'; "
                                  "it needs a 'status' and a non-empty type")
    return Expectation(test_id, **entry)


def deviations_from_results(document: dict) -> dict[str, dict]:
    """{check id: {"seen": one line, "status": int, "error": str}} for every check that failed, or failed
    as expected; status and error (the answer the failure was about) only where the record has them."""
    found = {}
    for record in document["results"]:
        if record["outcome"] not in ("fail", "expected-failure"):
            continue
        text = record.get("known_deviation") if record["outcome"] == "expected-failure" else None
        entry = {"seen": text or _one_line(record.get("message", ""))}
        answer = record.get("answer")
        if answer:
            entry["status"] = answer["status"]
            if answer.get("error"):
                entry["error"] = answer["error"]
        found[record["id"]] = entry
    return found


def _one_line(message: str) -> str:
    """The failure's title and the status and type received: stable from run to run."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    received = next((line for line in lines if line.startswith("Received: ")), "")
    received = received.split(" {", 1)[0].split(" <", 1)[0]
    return "; ".join(part for part in (lines[0] if lines else "", received) if part)[:300]


def render(target: str, failures: dict[str, dict], previous: dict[str, Expectation]) -> str:
    out = [f"# Known deviations of {target}, applied as strict expected failures: each holds only while the",
           "# target answers with the status and error type recorded here.",
           f"# Regenerate: python -m ecrconf.run.expectations {target} <results.json>  (keeps reason, link, expires)", ""]
    for test_id in sorted(failures):
        out.append(f"[deviations.{json.dumps(test_id)}]")
        out += [f"{key} = {json.dumps(value)}" for key, value in failures[test_id].items()]
        old = previous.get(test_id)
        for key in KEPT:
            value = getattr(old, key, None) if old else None
            if value:
                out.append(f"{key} = {value.isoformat() if key == 'expires' else json.dumps(value)}")
        out.append("")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = results_file.OneLineParser(prog="python -m ecrconf.run.expectations",
                                     description="Rewrite expectations/TARGET.toml (or --file) from a run's results.json.")
    parser.add_argument("target", metavar="TARGET",
                        help="the target's name, e.g. moto-5.2.5: the file written is expectations/TARGET.toml")
    parser.add_argument("results", type=Path, metavar="RESULTS_JSON",
                        help="results.json of a run against that target (--report-dir); its deviations become "
                             "the file's entries, entries it did not judge are kept, reason/link/expires kept")
    parser.add_argument("--file", type=Path, metavar="PATH",
                        help="the file to write instead, e.g. one kept in your own repository and given to the "
                             "suite as --expectations=PATH (needed when the suite is installed)")
    args = parser.parse_args(argv)
    from ecrconf.run.target import is_target_name  # here: ecrconf.run.target imports the HTTP client
    if not is_target_name(args.target):  # a path such as ../x would write outside expectations/
        print(f"ecrconf.run.expectations: TARGET must be 1-100 letters, digits, '.', '_' or '-', starting with "
              f"a letter or digit, got {args.target!r}", file=sys.stderr)
        return 4
    if args.file is None and paths.INSTALLED:  # the package's own copy is no place for a user's file
        print("ecrconf.run.expectations: the suite is installed: give --file=PATH to write (and keep in your "
              "repository), then run with --expectations=PATH", file=sys.stderr)
        return 4
    path = args.file or path_for(args.target)
    try:
        previous = load(path) if path.exists() else {}
        document = results_file.load(args.results)
    except (InvalidExpectations, results_file.InvalidResults) as exc:
        print(f"ecrconf.run.expectations: {exc}", file=sys.stderr)
        return 4
    failures = deviations_from_results(document)
    kept = unjudged(previous, document)
    try:
        path.write_text(render(args.target, {**kept, **failures}, previous))
    except OSError as exc:
        print(f"ecrconf.run.expectations: {path} cannot be written: {exc.strerror or exc}", file=sys.stderr)
        return 4
    print(f"{path}: {len(failures)} deviation(s) seen in this run, {len(kept)} kept from the file "
          "(not judged in this run)")
    return 0


JUDGED = frozenset({"pass", "fail", "expected-failure", "unexpected-pass"})


def unjudged(previous: dict[str, Expectation], document: dict) -> dict[str, dict]:
    """The entries of previous that the run did not judge strictly (absent from it: a -k selection, an
    incomplete run; or error, skipped, unsupported, advisory-fail), in deviations_from_results' form:
    regenerating from such a run keeps them as they are instead of dropping them."""
    judged = {r["id"] for r in document["results"] if r["outcome"] in JUDGED}
    kept = {}
    for test_id, entry in previous.items():
        if test_id not in judged:
            kept[test_id] = {"seen": entry.seen, **({"status": entry.status} if entry.status else {}),
                             **({"error": entry.error} if entry.error else {})}
    return kept


if __name__ == "__main__":
    sys.exit(main())
