"""--plan with --endpoint: the header names that endpoint and region, not an embedded moto that never starts."""

from __future__ import annotations

from selftest.test_plan import run


def test_plan_header_names_the_endpoint_and_region():
    done = run("-v", "--plan", "-k", "stateful", "--endpoint=http://127.0.0.1:1", "--region=eu-west-2")
    header = next(line for line in done.stdout.splitlines() if line.startswith("target: "))
    assert done.returncode == 0
    assert header == "target: unnamed (endpoint http://127.0.0.1:1, region eu-west-2)", header


def test_plan_header_embedded_has_no_stray_space():
    done = run("-v", "--plan", "-k", "stateful")
    header = next(line for line in done.stdout.splitlines() if line.startswith("target: "))
    assert "(embedded moto, region us-east-1)" in header, header
