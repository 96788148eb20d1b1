"""The Dagster instance's storage (dagster.yaml): Dagster's SQLite storage, with an event
log that keeps its database connections open.

Dagster's SQLite event log creates a new SQLAlchemy engine for every read and write: a
new SQLite connection and an empty statement cache each time. A run writes two events
for every partition it materialises (planned, then materialised), some 4,000 in a
`city` build: 5.8-6.4 ms an event that way, 2.1-2.3 ms with the engines kept
(benchmarks/README.md, "The fifteenth session"). What is stored is unchanged.

Built on Dagster's own, non-public SQLite classes, at the version uv.lock pins;
tests/orchestration/test_instance_storage.py and tests/e2e/test_ui.py tell if an upgrade
changes them.
"""

from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    INDEX_SHARD_NAME,
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.sqlite_storage import DagsterSqliteStorage, _event_logs_directory
from sqlalchemy import Connection, Engine, create_engine

# Each kept engine holds its database open: the index and the latest few runs' databases
# (a run writes to its own; the UI and daemon read many runs, one after another).
RUN_DATABASES_KEPT = 4


class KeptConnectionsEventLogStorage(SqliteEventLogStorage):
    """SqliteEventLogStorage with one engine, and so one open connection, per database."""

    def __init__(self, base_dir: str, inst_data=None):
        self._engines: OrderedDict[str, Engine] = OrderedDict()
        self._tables_seen: set[str] = set()
        super().__init__(base_dir, inst_data)

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Connection]:
        # As Dagster's own: one connection at a time per storage, a transaction per use.
        with self._db_lock:
            with self._engine(shard).connect() as conn:
                with conn.begin():
                    yield conn
                if shard != INDEX_SHARD_NAME:
                    # A run's database is in WAL mode, and the UI follows a live run by
                    # watching its .db file change (SqliteEventLogStorage.watch). Dagster's
                    # own storage closes the connection after every use, which copies the
                    # WAL into the .db file. Kept connections copy it here instead.
                    conn.exec_driver_sql("pragma wal_checkpoint(passive)")

    def _engine(self, shard: str) -> Engine:
        engine = self._engines.pop(shard, None)
        if engine is None:
            engine = create_engine(
                self.conn_string_for_shard(shard),
                # Used under _db_lock only, but from whichever thread holds it; one
                # connection kept (creating a database's tables opens a second briefly).
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
                pool_size=1,
            )
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
        self._engines[shard] = engine  # the most recently used last
        runs = [name for name in self._engines if name != INDEX_SHARD_NAME]
        for name in runs[:-RUN_DATABASES_KEPT]:
            self._engines.pop(name).dispose()
        return engine

    def has_table(self, table_name: str) -> bool:
        # Asked before every asset event's tags are written, with a new engine each time.
        # A table, once there, stays (migrations add tables; wiping deletes rows).
        if table_name not in self._tables_seen and super().has_table(table_name):
            self._tables_seen.add(table_name)
        return table_name in self._tables_seen

    def _close_all(self) -> None:
        with self._db_lock:
            while self._engines:
                self._engines.popitem()[1].dispose()

    def wipe(self) -> None:
        self._close_all()  # before the run databases' files are deleted
        super().wipe()

    def dispose(self) -> None:
        super().dispose()  # stops the watchers first: they would open connections again
        self._close_all()


class KvarterSqliteStorage(DagsterSqliteStorage):
    """DagsterSqliteStorage (runs, schedules, the event log under one base_dir) with the
    event log above. Configured in dagster.yaml as `storage: custom:`."""

    def __init__(self, base_dir: str, inst_data=None):
        super().__init__(base_dir, inst_data)
        # Replaces the event log super() made, before any use (it holds no connection).
        self._event_log_storage = KeptConnectionsEventLogStorage(_event_logs_directory(base_dir))

    @classmethod
    def from_config_value(cls, inst_data, config_value) -> "KvarterSqliteStorage":
        return cls.from_local(inst_data=inst_data, **config_value)
