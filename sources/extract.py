"""Extract one period of one source entity into the raw schema."""

import datetime as dt
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb

from sources import health, housing, readers
from sources.contracts import Contract
from sources.landing import delivery_path
from sources.validate import Pseudonymiser, validate_deliveries
from sources.warehouse import LoadStats, create_raw_tables, replace_partitions

BATCH_ROWS = 200_000  # rows validated in one pass and committed together (`_batches`)


@dataclass(frozen=True)
class SourceLocations:
    """Where each kind of source system is reached."""

    landing: Path  # file deliveries
    housing_db_url: str  # SQLAlchemy URL of the housing allocation system
    health_api_url: str  # base URL of the health system's API


def read(
    contract: Contract, periods: list[dt.date], where: SourceLocations
) -> Iterator[tuple[dt.date, readers.Cells]]:
    """Each period's delivery, in order. A database is read once for all the periods
    (split by month in its SQL); files and the API are read a period at a time, the next
    one in a thread while the caller loads this one: the readers (DuckDB's CSV parse,
    calamine's workbook parse, the HTTP wait) release the GIL, so the two overlap."""
    if contract.fmt == "sql":
        yield from housing.read_database(where.housing_db_url, contract, periods)
        return
    with ThreadPoolExecutor(max_workers=1) as pool:
        ahead = [pool.submit(_read_period, contract, period, where) for period in periods[:1]]
        for i, period in enumerate(periods):
            cells = ahead.pop().result()
            if i + 1 < len(periods):
                ahead.append(pool.submit(_read_period, contract, periods[i + 1], where))
            yield period, cells


def _read_period(contract: Contract, period: dt.date, where: SourceLocations) -> readers.Cells:
    if contract.fmt == "http":
        return health.read_api(where.health_api_url, contract, period)
    path = delivery_path(where.landing, contract, period)
    if not path.exists():
        raise readers.DeliveryError(
            f"{path}: no delivery of {contract.system}/{contract.source} for {period:%Y-%m}"
        )
    reader = {"csv": readers.read_csv, "xlsx": readers.read_xlsx, "geojson": readers.read_geojson}
    return reader[contract.fmt](path, contract)


def _batches(
    deliveries: Iterator[tuple[dt.date, readers.Cells]],
) -> Iterator[list[tuple[dt.date, readers.Cells]]]:
    """Consecutive deliveries together until they hold BATCH_ROWS rows (the last batch may
    hold fewer): a month of a city's residents makes a batch alone, a small source's
    months go together."""
    batch, rows = [], 0
    for period, cells in deliveries:
        batch.append((period, cells))
        rows += len(cells.frame) + len(cells.rejected)
        if rows >= BATCH_ROWS:
            yield batch
            batch, rows = [], 0
    if batch:
        yield batch


def extract_periods(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    periods: list[dt.date],
    where: SourceLocations,
    pseudonymise: Pseudonymiser,
) -> Iterator[list[tuple[dt.date, LoadStats]]]:
    """Read, validate, pseudonymise and load each period's delivery of one entity; yields
    each batch's (period, counts) once it is committed.

    Periods are validated and loaded in batches (`_batches`), each in one SQL pass and one
    transaction: a pass and a commit (which syncs the WAL) have a fixed cost that a month
    of a small source would otherwise pay alone, and a transaction keeps every replaced
    temporary table until it ends, so it is bounded. A failing period rolls back only its
    own batch; each period is loaded whole or not at all.
    """
    if any(c.kind == "cpr" for c in contract.columns):  # the run's map only where needed
        pseudonymise.attach(con)
    created = False
    for batch in _batches(read(contract, sorted(set(periods)), where)):
        if not created:  # once, not per batch (catalog queries); after the first read
            create_raw_tables(con, (contract,))
            created = True
        con.execute("begin transaction")
        try:
            stats = _load(con, contract, batch, where, pseudonymise)
            con.execute("commit")
        except BaseException as error:
            try:
                con.execute("rollback")
            except duckdb.Error as failed:
                # A commit that failed (a full disk) has ended the transaction itself: the
                # rollback's own error ("no transaction is active") must not hide why.
                error.add_note(f"rollback after it: {failed}")
            raise
        yield [(period, one) for (period, _), one in zip(batch, stats, strict=True)]


def extract_period(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    period: dt.date,
    where: SourceLocations,
    pseudonymise: Pseudonymiser,
) -> LoadStats:
    """Read, validate, pseudonymise and load one period's delivery of one entity."""
    [[(_, stats)]] = extract_periods(con, contract, [period], where, pseudonymise)
    return stats


def _load(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    batch: list[tuple[dt.date, readers.Cells]],
    where: SourceLocations,
    pseudonymise: Pseudonymiser,
) -> list[LoadStats]:
    validated = validate_deliveries(con, contract, [cells for _, cells in batch], pseudonymise)
    deliveries = []
    for period, cells in batch:
        origin = cells.origin
        if contract.fmt in ("csv", "xlsx", "geojson"):
            origin = str(Path(cells.origin).relative_to(where.landing))
        deliveries.append((period, origin))
    return replace_partitions(con, contract, deliveries, validated)
