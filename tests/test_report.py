"""report.html: self-contained, with its tables and figures, rendering in headless Chromium."""
import re
import shutil
import subprocess

import pytest

from runner import run

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    out = run(tmp, "run.n_years=120", "treaty=[cat_xl_tower]",
              name="run")
    return out.folder / "report.html"


def test_report_is_self_contained_with_every_section(report):
    text = report.read_text(encoding="utf-8")
    for section in ("summary", "ep", "maps", "event", "convergence", "treaties", "provenance"):
        assert f"id='{section}'" in text, section
    assert len(re.findall(r'<img alt="figure" src="data:image/png;base64,', text)) >= 5
    assert text.count("<table") >= 4
    assert "product/cat_property" in text and "cat_xl_tower" in text
    # nothing loaded from elsewhere: no external scripts, stylesheets or images
    assert not re.search(r'(src|href)="(https?:)?//', text)


@pytest.mark.skipif(CHROMIUM is None, reason="Chromium not installed (.ci/run installs it)")
def test_report_renders_in_headless_chromium(report, tmp_path):
    dom = subprocess.run([CHROMIUM, *FLAGS, f"--user-data-dir={tmp_path / 'profile'}", "--enable-logging=stderr",
                          "--v=0", "--virtual-time-budget=5000", "--dump-dom", report.as_uri()],
                         capture_output=True, text=True, timeout=120)
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert 'data-report-ok="yes"' in dom.stdout            # every figure decoded
    assert "Uncaught" not in dom.stderr                     # no script errors in the console
    assert dom.stdout.count("<img") >= 5 and "<table" in dom.stdout


def test_report_maps_a_chosen_event(tmp_path):
    # the Lekima replay's flood event (the flood peril's typhoon-rain event of year 1) by its id
    out = run(tmp_path, "scenario=replay_lekima_2019", "output.report_event=1019000", "output.event_set=none")
    text = (out.folder / "report.html").read_text(encoding="utf-8")
    assert "event 1019000 (flood_typhoon_rain, year 1)" in text
