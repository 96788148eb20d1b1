"""Faults: a publish killed with SIGKILL leaves the old copy whole; a second run on the
same deliveries (from a health API on another port) leaves the warehouse identical."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

import orchestration.defs.publish as publish_assets
from orchestration.defs.publish import PUBLISHED_TABLES, publish
from orchestration.pipeline import run_pipeline
from orchestration.resources import KvarterStorage
from quality.disclosure_audit import AuditReport
from tests import tiny_municipality as tiny

# Publishes in a child process whose audit marks that the staged copy is written, then
# waits to be killed.
KILLED_MID_PUBLISH = """
import sys, time
from pathlib import Path
import orchestration.defs.publish as publish_assets

def audit_and_hang(staged, memo):
    Path(sys.argv[3]).write_text(str(staged))
    time.sleep(120)

publish_assets.audit_published = audit_and_hang
publish_assets.carry_remembered = lambda *paths: 0
publish_assets.moved_hidden_given_away = lambda *paths: []
publish_assets.publish(Path(sys.argv[1]), Path(sys.argv[2]))
"""


def tables(path: Path) -> dict[str, list]:
    with duckdb.connect(str(path), read_only=True) as con:
        names = [n for (n,) in con.execute("select table_name from duckdb_tables()").fetchall()]
        return {n: con.execute(f"select * from {n} order by all").fetchall() for n in names}


def warehouse(path: Path, value: int) -> Path:
    with duckdb.connect(str(path)) as con:
        for source in PUBLISHED_TABLES.values():
            con.execute(f"create schema if not exists {source.split('.')[0]}")
            con.execute(f"create or replace table {source} as select {value} as x")
    return path


def test_kill_9_during_publish_leaves_the_old_copy_whole(tmp_path, monkeypatch):
    target = tmp_path / "published" / "kvarter.duckdb"
    # Tables of one column x: no fact to audit or to compare with the live copy's.
    monkeypatch.setattr(publish_assets, "audit_published", lambda p, memo: AuditReport(5))
    monkeypatch.setattr(publish_assets, "withdrawn_unchanged", lambda *paths: [])
    monkeypatch.setattr(publish_assets, "no_longer_published", lambda *paths: {})
    monkeypatch.setattr(publish_assets, "shown_after_hidden", lambda *paths: [])
    monkeypatch.setattr(publish_assets, "carry_remembered", lambda *paths: 0)
    monkeypatch.setattr(publish_assets, "moved_hidden_given_away", lambda *paths: [])
    publish(warehouse(tmp_path / "old.duckdb", 1), target)
    old = tables(target)

    marker = tmp_path / "staged"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            KILLED_MID_PUBLISH,
            str(warehouse(tmp_path / "new.duckdb", 2)),
            str(target),
            str(marker),
        ],
        cwd=Path(__file__).resolve().parents[2],
    )
    try:
        deadline = time.monotonic() + 120
        while not marker.exists() and child.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
        assert marker.exists(), "the child never reached the audit"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.kill()
        child.wait()
    assert child.returncode == -signal.SIGKILL
    assert Path(marker.read_text()).exists()  # the staged copy was there, not swapped in
    assert tables(target) == old  # readers still open the old copy, whole

    # The next publish starts from the leftovers and swaps the new copy in.
    publish(tmp_path / "new.duckdb", target)
    assert tables(target) == {name: [(2,)] for name in PUBLISHED_TABLES}


def everything(storage: KvarterStorage) -> dict:
    with duckdb.connect(storage.warehouse_path, read_only=True) as con:
        names = con.execute(
            "select schema_name, table_name from duckdb_tables() order by all"
        ).fetchall()
        return {
            f"{s}.{t}": con.execute(f'select * from "{s}"."{t}" order by all').fetchall()
            for s, t in names
        }


def test_a_second_run_on_the_same_deliveries_changes_nothing(tmp_path, code_location, wire):
    storage = KvarterStorage.under(tmp_path)
    tiny.write(storage.landing)
    snapshots = []
    for _ in range(2):
        # A new server, hence a new port each run, as with `kvarter run --synthetic`.
        with wire(storage) as live:
            assert run_pipeline(code_location, live).success
        outbox = {
            str(p): p.read_bytes() for p in Path(storage.outbox_dir).rglob("*") if p.is_file()
        }
        snapshots.append((everything(storage), outbox, tables(Path(storage.published_path))))
    (first, first_mail, first_published), (second, second_mail, second_published) = snapshots
    assert first["raw.health__home_visits"]  # something was loaded
    # The one difference: the second run remembers what the first published and hid
    # (README, "Disclosure control", memory), and publishes it again.
    assert first.pop("publication.published_cells") == []
    remembered = second.pop("publication.published_cells")
    with duckdb.connect(storage.published_path, read_only=True) as con:
        cells = con.execute(
            "select area_id, period, indicator_id, numerator, denominator, suppressed"
            " from fct_area_indicator_month order by all"
        ).fetchall()
    assert remembered == cells
    assert sum(not cell[-1] for cell in remembered) == 5  # the tiny municipality shows 5
    assert second == first
    assert second_mail == first_mail  # no email written twice or rewritten
    assert second_published == first_published
