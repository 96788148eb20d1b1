"""The dashboard served by Streamlit and rendered in a real browser (Debian's Chromium,
driven by Playwright): the map and the Danish figures reach the page."""

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(published):
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "dashboard" / "app.py"),
            "--server.headless",
            "true",
            "--server.port",
            str(port),
            "--browser.gatherUsageStats",
            "false",
            "--",
            "--published",
            str(published),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("streamlit did not start")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_overview_renders_map_and_figures_in_chromium(server, tmp_path):
    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is installed by `make test` (apt-get install chromium)"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(server)
        page.get_by_text("Hele kommunen, december 2025").wait_for(timeout=60_000)
        page.get_by_text("Tomme felter er skjult af hensyn til diskretion.").wait_for()
        # The map is a Vega-Lite canvas/SVG drawn in the page, with no tile requests.
        page.locator(".vega-embed").first.wait_for(timeout=60_000)
        page.screenshot(path=str(tmp_path / "oversigt.png"), full_page=True)
        browser.close()
    assert (tmp_path / "oversigt.png").stat().st_size > 10_000
