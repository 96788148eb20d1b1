"""The dashboard served by Streamlit and rendered in a real browser (Debian's Chromium,
driven by Playwright): the map and the Danish figures reach the page."""

from playwright.sync_api import sync_playwright

from dashboard.server import chromium, dashboard


def test_overview_renders_map_and_figures_in_chromium(published, tmp_path):
    with dashboard(published, tmp_path / "server.log") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(url)
        page.get_by_text("Hele kommunen, december 2025").wait_for(timeout=60_000)
        page.get_by_text("Tomme felter er skjult af hensyn til diskretion.").wait_for()
        # The map is a Vega-Lite canvas/SVG drawn in the page, with no tile requests.
        page.locator(".vega-embed").first.wait_for(timeout=60_000)
        page.screenshot(path=str(tmp_path / "oversigt.png"), full_page=True)
        browser.close()
    assert (tmp_path / "oversigt.png").stat().st_size > 10_000
