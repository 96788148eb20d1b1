"""What the browser tests share: the pages with a text that shows each has rendered,
and how to wait for a rendering and read the server log for errors."""

from pathlib import Path

from playwright.sync_api import Page, expect

# Page and a text that only its rendering shows (on the demo: 6 areas, Bakkegården first,
# December 2025 the latest month, alarms in Rønnebærparken).
PAGES = {
    "Oversigt": "Hele kommunen, december 2025",
    "Område": "Boligafdelinger i området",
    "Indikator": "Tragtdiagram, december 2025",
    "Lovkriterier": "Afstand: positiv er på den side af grænsen",
    "Signaler": "Tidligere episoder",
    "Udskrift": "Kvarterprofil: Bakkegården",
}


def settled(page: Page, text: str) -> None:
    """Wait for `text` and for the script run to finish."""
    page.get_by_text(text).first.wait_for(timeout=60_000)
    page.locator('[data-testid="stApp"][data-test-script-state="notRunning"]').wait_for(
        timeout=60_000
    )
    expect(page.get_by_test_id("stException")).to_have_count(0)


def server_errors(log: Path) -> list[str]:
    return [line for line in log.read_text().splitlines() if "Error" in line or "Traceback" in line]
