"""The reports in a real browser (Debian's chromium via Selenium): no console error, no alert, every image
decoded, hostile names shown as text, and a screenshot to look at.

Skipped when chromium, chromedriver or selenium is missing, except under CI (the CI variable set), where a
missing browser is a failure: CI must really run this.
"""

from __future__ import annotations

import io
import os
import shutil
import tempfile
from pathlib import Path

import pytest
from PIL import Image

from tests.reports.conftest import HOSTILE_NAME, SCRIPT, hostile_folder, write_run
from wganlab.claims.result import Claim, ClaimResult, SeedOutcome, Table
from wganlab.diagnose import diagnose
from wganlab.reports.claims_page import claims_html
from wganlab.reports.compare import write_comparison
from wganlab.reports.run_report import write_run_report

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1300,1000",
)
SCREENSHOTS = Path(tempfile.gettempdir())  # the lead looks at /tmp/report-screenshot.png


def _require(available: bool, reason: str) -> None:
    if not available:
        if os.environ.get("CI"):
            pytest.fail(f"{reason}: CI must run the browser tests (install chromium, chromium-driver and selenium)")
        pytest.skip(reason)


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    _require(Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists(), "chromium or chromedriver is not installed")
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError:
        _require(False, "selenium is not installed")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM  # explicit paths: Selenium Manager never downloads a browser or driver
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def open_and_check(driver, page: Path, screenshot: str) -> str:
    """Load the page from file://, check it, save a full-page screenshot; return the page's visible text."""
    from selenium.common.exceptions import NoAlertPresentException

    driver.get_log("browser")  # drop anything logged before this page
    driver.get(page.resolve().as_uri())
    with pytest.raises(NoAlertPresentException):
        driver.switch_to.alert.text  # noqa: B018 - raises when no alert is open
    errors = [entry for entry in driver.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, errors
    images = driver.execute_script("return Array.from(document.images).map(i => [i.complete, i.naturalWidth, i.alt]);")
    assert images and all(complete and width > 0 for complete, width, _ in images), images
    assert driver.execute_script("return document.scripts.length;") == 0
    height = driver.execute_script("return document.documentElement.scrollHeight;")
    driver.set_window_size(1300, min(height + 140, 8000))
    png = driver.get_screenshot_as_png()
    assert len(png) > 1000 and Image.open(io.BytesIO(png)).format == "PNG"
    (page.parent / screenshot).write_bytes(png)
    (SCREENSHOTS / screenshot).write_bytes(png)
    driver.set_window_size(1300, 1000)
    return driver.find_element("tag name", "body").text


def test_run_report_in_browser(browser, trained_run):
    report = write_run_report(trained_run, diagnose(trained_run))
    text = open_and_check(browser, report, "report-screenshot.png")
    assert SCRIPT in text and HOSTILE_NAME in text


def test_comparison_in_browser(browser, trained_run, tmp_path):
    other = write_run(tmp_path / "00001-clip <b>c &amp; d", ["objective.constraint=clip", "objective.penalty=none"])
    out = write_comparison([trained_run, other], tmp_path / "compare.html")
    text = open_and_check(browser, out, "compare-screenshot.png")
    assert HOSTILE_NAME in text and "00001-clip <b>c &amp; d" in text and "objective.constraint" in text


def test_claims_page_in_browser(browser, tmp_path):
    figure = hostile_folder(tmp_path)
    figure.parent.mkdir(parents=True)
    write_run(figure, evaluations=1)
    claim = Claim(
        number=2,
        title=f"Clipping {SCRIPT} bends gradients",
        source="WGAN-GP (Gulrajani et al. 2017), Fig. 1b",
        expectation="Gradient norms explode or vanish with depth under clipping; level under GP.",
    )
    result = ClaimResult(
        claim,
        protocol="Swiss roll, 12-layer critic, 500 critic iterations, seeds 0 and 1.",
        rule="holds if |slope(GP)| < 0.05 < |slope(clip)|",
        outcomes=(SeedOutcome(0, "holds", {"slope": -0.3}), SeedOutcome(1, "does not hold", {"slope": 0.01})),
        tables=(Table(("layer", "norm <i>"), ((1, 0.5), (2, 0.05))),
                Table(tuple(f"a wide column {i}" for i in range(30)), (tuple(range(30)),))),
        figures=(figure / "figures" / "eval-0000020.png",),
        seconds=12.0,
        notes=SCRIPT,
    )
    page = tmp_path / "claims.html"
    page.write_text(claims_html([result], f"claims {SCRIPT}", "test machine"))
    text = open_and_check(browser, page, "claims-screenshot.png")
    assert f"claims {SCRIPT}" in text and "mixed" in text and "norm <i>" in text
    # a table wider than the window scrolls on its own; the page does not scroll sideways
    assert browser.execute_script("return document.documentElement.scrollWidth <= window.innerWidth")
