"""JUnit XML as the suite's outcomes say: a check that could not judge is an <error>, not a <failure>.

pytest's JUnit writer files every failure of a test's call phase as <failure>; the suite reports a
call that ended without a verdict (no answer, a failed setup call inside the test, a harness error) as
an error, so ``relabel_errors`` rewrites those test cases after pytest wrote the file.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path


def relabel_errors(path: Path, error_ids: set[str]) -> int:
    """Turn the <failure> of each test case whose ``check_id`` property is in error_ids into <error>,
    and fix the suites' failure and error counts. Returns how many were relabelled; a missing file is 0."""
    if not error_ids or not path.is_file():
        return 0
    tree = ET.parse(path)
    changed = 0
    for suite in tree.iter("testsuite"):
        moved = 0
        for case in suite.iter("testcase"):
            ids = {p.get("value") for p in case.iter("property") if p.get("name") == "check_id"}
            failure = case.find("failure")
            if failure is not None and ids & error_ids:
                failure.tag = "error"
                moved += 1
        if moved:
            suite.set("failures", str(int(suite.get("failures", "0")) - moved))
            suite.set("errors", str(int(suite.get("errors", "0")) + moved))
            changed += moved
    if changed:
        tree.write(path, encoding="utf-8", xml_declaration=True)
    return changed
