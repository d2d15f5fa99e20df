"""The HTML report in a real browser: headless Chromium renders it, and its filter script runs cleanly.

Skipped where Chromium is not installed (Debian: apt-get install chromium).
"""

from __future__ import annotations

import os
import shutil
import signal
import struct
import subprocess

import pytest

from ecrconf.report.compare import compare
from ecrconf.report.html import render_html
from selftest.html_tree import parse
from selftest.results_samples import find, sample_results

BROWSER = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="Chromium is not installed (Debian: apt-get install chromium)")
WIDTH, HEIGHT = 1400, 2000
# A page with one line of text gives a PNG of about 13 kB at this size; the sample report gives ~370 kB.
NON_TRIVIAL_PNG = 100_000


def headless(profile, *args: str, url: str) -> subprocess.CompletedProcess:
    """Run Chromium once; its whole process group is killed afterwards, whatever happened."""
    command = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-sync",
               f"--user-data-dir={profile}", *args, url]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    try:
        out, err = process.communicate(timeout=90)
    finally:
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait()
    return subprocess.CompletedProcess(command, process.returncode, out, err)


@pytest.fixture
def report(tmp_path):
    old, new = sample_results(), sample_results()
    find(new, "StartImageScan/start_image_scan/test_fresh_image_scan_starts[digest-oci]")["outcome"] = "fail"
    path = tmp_path / "report.html"
    path.write_text(render_html(new, diff=compare(old, new)), encoding="utf-8")
    return path, new


def test_report_renders_to_a_non_trivial_screenshot(report, tmp_path):
    path, _ = report
    png = tmp_path / "report.png"
    done = headless(tmp_path / "profile", f"--screenshot={png}", f"--window-size={WIDTH},{HEIGHT}",
                    url=path.as_uri())
    assert png.is_file(), done.stderr[-2000:]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert struct.unpack(">II", data[16:24]) == (WIDTH, HEIGHT)
    assert len(data) > NON_TRIVIAL_PNG, f"{len(data)} bytes: the page looks empty"


def test_filter_script_runs_and_leaves_the_document_whole(report, tmp_path):
    path, document = report
    done = headless(tmp_path / "profile", "--dump-dom", url=path.as_uri() + "#show=fail,error")
    assert done.returncode == 0, done.stderr[-2000:]
    root = parse(done.stdout)
    assert root.find("html").attrs.get("data-filters") == "ready", "the script did not finish"
    assert "hidden" not in root.find("div", id="filters").attrs
    checks = root.find_all("li", cls="check")
    assert sorted(li.attrs["data-outcome"] for li in checks) == sorted(r["outcome"] for r in document["results"])
    shown = sorted(li.attrs["data-outcome"] for li in checks if "hidden" not in li.attrs)
    assert shown == ["error", "fail", "fail"]
    hidden_groups = [div.find("h3").text() for div in root.find_all("div", cls="operation") if "hidden" in div.attrs]
    assert hidden_groups == ["DescribeImageScanFindings · start_image_scan", "StartImageScan · protocol"]
