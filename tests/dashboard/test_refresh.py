"""A browser session stays open through full refreshes: publishes that stage, audit and
atomically swap in a new published copy (orchestration/defs/publish.py) while the
dashboard is being clicked through. No error on the page or in the server's log, and the
next interaction shows the new copy."""

import datetime as dt
import os
import threading
from pathlib import Path
from zoneinfo import ZoneInfo

from playwright.sync_api import expect

from dashboard.server import dashboard
from orchestration.defs.publish import publish
from tests.dashboard.browser import PAGES, server_errors, settled

REFRESHES = 2


def published_at(path: Path) -> str:
    moment = dt.datetime.fromtimestamp(os.stat(path).st_mtime, ZoneInfo("Europe/Copenhagen"))
    return f"Data offentliggjort {moment:%d.%m.%Y kl. %H:%M:%S}"


def test_a_session_stays_open_through_a_full_refresh(demo, browser_page, tmp_path):
    warehouse, target = Path(demo.warehouse_path), tmp_path / "published" / "kvarter.duckdb"
    publish(warehouse, target)
    first = published_at(target)
    page, log = browser_page, tmp_path / "server.log"
    with dashboard(target, log) as url:
        page.goto(f"{url}/?side=Område")
        settled(page, PAGES["Område"])
        expect(page.get_by_test_id("stSidebar")).to_contain_text(first)

        refreshes = threading.Thread(
            target=lambda: [publish(warehouse, target) for _ in range(REFRESHES)]
        )
        refreshes.start()
        rounds = 0
        while refreshes.is_alive() or rounds == 0:  # every page read while copies swap
            for name, text in PAGES.items():
                page.get_by_test_id("stSidebar").get_by_text(name, exact=True).click()
                settled(page, text)
            rounds += 1
        refreshes.join()

        latest = published_at(target)
        assert latest != first
        page.get_by_test_id("stSidebar").get_by_text("Oversigt", exact=True).click()
        settled(page, PAGES["Oversigt"])
        expect(page.get_by_test_id("stSidebar")).to_contain_text(latest)
    assert page.errors == [] and server_errors(log) == []
    assert sorted(p.name for p in target.parent.iterdir()) == ["kvarter.duckdb", "parquet"]
