"""Every page of the dashboard on the demo's published copy, in Debian's Chromium: key
content, a deep link, an export's bytes, the print layout; screenshots, the export and
a PDF of the print page are kept in test-artifacts/dashboard/ for a person to look at."""

import shutil
from pathlib import Path

import duckdb
from playwright.sync_api import expect

from dashboard.server import ROOT, dashboard
from tests.dashboard.browser import PAGES, server_errors, settled

ARTIFACTS = ROOT / "test-artifacts" / "dashboard"


def cells(published: str, area: str, period: str) -> int:
    with duckdb.connect(published, read_only=True) as con:
        return con.execute(
            "select count(*) from fct_area_indicator_month where area_id = ? and period = ?",
            [area, period],
        ).fetchone()[0]


def published_value(published: str, area: str, period: str, indicator: str) -> float:
    with duckdb.connect(published, read_only=True) as con:
        return con.execute(
            "select value from fct_area_indicator_month"
            " where area_id = ? and period = ? and indicator_id = ?",
            [area, period, indicator],
        ).fetchone()[0]


def test_every_page_a_deep_link_and_an_export_in_chromium(demo, browser_page, tmp_path):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page, log = browser_page, tmp_path / "server.log"
    with dashboard(demo.published_path, log) as url:
        page.goto(url)
        for name, text in PAGES.items():
            page.get_by_test_id("stSidebar").get_by_text(name, exact=True).click()
            settled(page, text)
            page.screenshot(path=str(ARTIFACTS / f"{name.lower()}.png"), full_page=True)
        # The address says what is on screen: the print page of the first area.
        assert "side=Udskrift" in page.url and "omraade=BO01" in page.url
        # The map and the funnel are drawn in the page (Vega), with no tile server.
        page.get_by_test_id("stSidebar").get_by_text("Oversigt", exact=True).click()
        settled(page, PAGES["Oversigt"])
        expect(page.locator(".vega-embed canvas, .vega-embed svg").first).to_be_visible()

        # The demo's open episodes (two in Rønnebærparken since December 2025), the first
        # chosen and in the address; none closed yet.
        page.get_by_test_id("stSidebar").get_by_text("Signaler", exact=True).click()
        settled(page, PAGES["Signaler"])
        expect(page.get_by_role("combobox", name="Episode")).to_have_value(
            "Rønnebærparken: 18-64-årige uden for arbejde eller uddannelse, fra december 2025"
        )
        assert "episode=BO04-emp_outside_work_edu-op-2025-12" in page.url
        expect(page.get_by_text("Ingen afsluttede episoder.")).to_be_visible()
        page.goto(f"{url}/?side=Signaler&episode=BO04-emp_benefit_fte-op-2025-12")
        settled(page, PAGES["Signaler"])
        expect(page.get_by_role("combobox", name="Episode")).to_have_value(
            "Rønnebærparken: Fuldtidspersoner 16-66 år på offentlig forsørgelse, fra december 2025"
        )
        page.screenshot(path=str(ARTIFACTS / "link_signaler_episode.png"), full_page=True)

        # A list year from a link, kept in the address.
        page.goto(f"{url}/?side=Lovkriterier&listeaar=2024")
        settled(page, PAGES["Lovkriterier"])
        expect(page.get_by_role("combobox", name="Listeår")).to_have_value("2024")
        assert "listeaar=2024" in page.url

        # The alert email's link: the area's page, with the month it names.
        page.goto(f"{url}/?side=Område&omraade=BO04&maaned=2025-09")
        settled(page, "Boligafdelinger i området")
        expect(page.get_by_role("combobox", name="Boligområde")).to_have_value("Rønnebærparken")
        expect(page.get_by_role("combobox", name="Måned").first).to_have_value("september 2025")
        page.screenshot(path=str(ARTIFACTS / "link_omraade_BO04.png"), full_page=True)

        with page.expect_download() as download:
            page.get_by_role("button", name="Hent CSV").first.click()
        csv = Path(download.value.path()).read_bytes()
        shutil.copy(download.value.path(), ARTIFACTS / download.value.suggested_filename)
        assert download.value.suggested_filename == "kvarterprofil_BO04_2025-09.csv"
        lines = csv.decode("utf-8-sig").split("\r\n")
        assert csv.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark: æøå open in Excel
        assert lines[0] == "Indikator;Enhed;Området;Hele kommunen;Ændring 12 mdr.;Placering"
        rows = {line.split(";")[0]: line.split(";")[1:] for line in lines[1:-1]}
        assert lines[-1] == "" and len(rows) == cells(demo.published_path, "BO04", "2025-09-01")
        # A hidden cell is empty (Børn 1-5 år i dagtilbud in Rønnebærparken); numbers have
        # a decimal comma: the published share as a percentage, 11.34... as 11,34...
        assert rows["Børn 1-5 år i dagtilbud"][:2] == ["pct", ""]
        share = published_value(demo.published_path, "BO04", "2025-09-01", "cy_worrying_absence")
        percent = f"{100 * share:.2f}".replace(".", ",")
        assert rows["Elever med bekymrende fravær (mindst 10 %)"][1].startswith(percent)

        # The print page on paper: the profile only, no sidebar or controls.
        page.goto(f"{url}/?side=Udskrift&omraade=BO04&maaned=2025-12")
        settled(page, "Kvarterprofil: Rønnebærparken")
        page.emulate_media(media="print")
        expect(page.get_by_test_id("stSidebar")).to_be_hidden()
        expect(page.get_by_role("button", name="Hent til udskrift (HTML)")).to_be_hidden()
        expect(page.get_by_text("Tomme felter: Tomme felter er skjult")).to_be_visible()
        page.pdf(path=str(ARTIFACTS / "kvarterprofil_BO04_2025-12.pdf"), format="A4")
    assert page.errors == [] and server_errors(log) == []
    assert (ARTIFACTS / "kvarterprofil_BO04_2025-12.pdf").read_bytes().startswith(b"%PDF")
