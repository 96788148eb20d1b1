"""The instance of dagster.yaml: its event log keeps connections open, stores what
Dagster's own stores, and holds only a few databases open."""

import logging
import os
import sqlite3
import time
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.events.log import EventLogEntry

from orchestration.instance_storage import RUN_DATABASES_KEPT, KeptConnectionsEventLogStorage
from orchestration.resources import PROJECT_ROOT
from tests.partitioned_run import backfill, deliveries


@pytest.fixture
def instance_of(monkeypatch, tmp_path):
    """A new instance of the project's dagster.yaml, as another process would load it."""
    monkeypatch.setenv("KVARTER_DAGSTER_STORAGE", str(tmp_path))
    return lambda: dg.DagsterInstance.from_config(str(PROJECT_ROOT))


def open_databases(folder: Path) -> set[str]:
    """The SQLite databases under `folder` this process holds a file of open (a database
    in WAL mode is three files), '(deleted)' marking one whose file is gone."""
    names = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except FileNotFoundError:
            continue  # the descriptor listdir itself used
        if target.startswith(f"{folder}/"):
            name = os.path.basename(target)
            names.add(name.replace("-wal", "").replace("-shm", "").replace(".db", ""))
    return names


def test_a_backfill_run_is_stored_whole_and_read_by_another_instance(instance_of):
    writer = instance_of()
    assert isinstance(writer.event_log_storage, KeptConnectionsEventLogStorage)
    reader = instance_of()  # e.g. the webserver's, open before the runs
    first = backfill(writer, "2024-01-01", "2024-03-01")

    planned = dg.DagsterEventType.ASSET_MATERIALIZATION_PLANNED
    assert [e.dagster_event_type for e in reader.all_logs(first)].count(planned) == 3
    assert reader.get_materialized_partitions(deliveries.key) == {
        "2024-01-01",
        "2024-02-01",
        "2024-03-01",
    }
    assert reader.get_run_by_id(first).status == dg.DagsterRunStatus.SUCCESS
    # Each materialisation's tags are indexed (written only when their table is found).
    assert len(reader.get_event_tags_for_asset(deliveries.key)) == 3

    # A later run of the writer is seen by the reader's kept connection, not a stale one.
    second = backfill(writer, "2024-02-01", "2024-02-01")
    records = reader.fetch_materializations(deliveries.key, limit=10).records
    assert [(r.run_id, r.partition_key) for r in records][:2] == [
        (second, "2024-02-01"),
        (first, "2024-03-01"),
    ]
    assert len(records) == 4


def test_a_long_lived_instance_holds_the_index_and_the_latest_runs_open(instance_of, tmp_path):
    instance = instance_of()
    runs = [backfill(instance, "2024-01-01", "2024-01-01") for _ in range(RUN_DATABASES_KEPT + 2)]
    history = tmp_path / "history" / "runs"
    assert open_databases(history) == {"index", *runs[-RUN_DATABASES_KEPT:]}

    # Wiping deletes the run databases: nothing may stay open on a deleted file.
    instance.wipe()
    assert not any(name.endswith("(deleted)") for name in open_databases(history))
    after = backfill(instance, "2024-03-01", "2024-03-01")
    assert len(instance.fetch_materializations(deliveries.key, limit=10).records) == 1
    assert instance.get_run_by_id(after).status == dg.DagsterRunStatus.SUCCESS

    instance.dispose()
    assert open_databases(history) == set()


def log_entry(run_id: str, message: str) -> EventLogEntry:
    return EventLogEntry(
        error_info=None,
        level=logging.INFO,
        user_message=message,
        run_id=run_id,
        timestamp=time.time(),
    )


def test_a_run_in_progress_is_followed_live_by_another_instance(instance_of):
    """The UI follows a live run by watching its database file (Dagster's
    SqliteEventLogStorage.watch); kept connections must not hide the writes from it."""
    writer = instance_of().event_log_storage
    writer.store_event(log_entry("r1", "started"))
    reader = instance_of().event_log_storage
    assert len(reader.get_records_for_run("r1").records) == 1  # keeps the database open
    seen = []
    reader.watch("r1", None, lambda entry, cursor: seen.append(entry.user_message))
    for i in range(5):
        writer.store_event(log_entry("r1", f"step {i}"))
    deadline = time.monotonic() + 10
    while len(seen) < 6 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert seen == ["started", *(f"step {i}" for i in range(5))]  # while the writer is open
    reader.dispose()
    writer.dispose()


def test_a_table_found_missing_is_looked_for_again(instance_of, tmp_path):
    storage = instance_of().event_log_storage
    assert not storage.has_table("later")
    index = tmp_path / "history" / "runs" / "index.db"
    with sqlite3.connect(index) as con:  # another process's migration, say
        con.execute("create table later (id integer)")
    assert storage.has_table("later")
