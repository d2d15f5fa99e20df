"""The README's cost of contributing a recording (the whole suite on AWS without --allow-registry-writes) is what
--plan says: the figures went stale when the stateful checks came."""

from pathlib import Path

from selftest.recordings import AWS_ENDPOINT
from selftest.test_plan import figure, run

README = Path(__file__).resolve().parent.parent / "README.md"


def _about(n: int, step: int) -> str:
    return f"about {round(n / step) * step:,}"


def test_readme_cost_is_the_plans():
    output = run("-v", "--plan", f"--endpoint={AWS_ENDPOINT}").stdout
    text = " ".join(README.read_text().split())
    assert f"costs {_about(figure(output, 'requests'), 100)} requests" in text
    assert f"deletes {_about(figure(output, 'repositories'), 10)} repositories" in text
    assert f"pushes {_about(figure(output, 'images'), 10)} images" in text
    assert f"starts {_about(figure(output, 'scans'), 1)} basic scans" in text
