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
from sources.validate import Pseudonymiser, validate
from sources.warehouse import LoadStats, create_raw_tables, replace_partition

COMMIT_ROWS = 200_000  # rows read per commit of an extract over many periods


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


def extract_periods(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    periods: list[dt.date],
    where: SourceLocations,
    pseudonymise: Pseudonymiser,
) -> Iterator[tuple[dt.date, LoadStats]]:
    """Read, validate, pseudonymise and load each period's delivery of one entity.

    Whole periods commit together until COMMIT_ROWS rows have been read (a commit syncs
    the WAL, some 10 ms; a transaction keeps every replaced temporary table until it
    ends, so it is bounded): a failing period rolls back only its own batch, each period
    is loaded whole or not at all.
    """
    if any(c.kind == "cpr" for c in contract.columns):  # the run's map only where needed
        pseudonymise.attach(con)
    pending = 0
    con.execute("begin transaction")
    try:
        for n, (period, cells) in enumerate(read(contract, sorted(periods), where)):
            if n == 0:  # once, not per period (catalog queries); after the first read
                create_raw_tables(con, (contract,))
            stats = _load(con, contract, period, cells, where, pseudonymise)
            pending += stats.rows_read
            if pending >= COMMIT_ROWS:
                con.execute("commit")
                con.execute("begin transaction")
                pending = 0
            yield period, stats
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def extract_period(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    period: dt.date,
    where: SourceLocations,
    pseudonymise: Pseudonymiser,
) -> LoadStats:
    """Read, validate, pseudonymise and load one period's delivery of one entity."""
    [(_, stats)] = extract_periods(con, contract, [period], where, pseudonymise)
    return stats


def _load(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    period: dt.date,
    cells: readers.Cells,
    where: SourceLocations,
    pseudonymise: Pseudonymiser,
) -> LoadStats:
    validated = validate(
        con,
        cells.frame,
        cells.lines,
        contract,
        cells.dialect,
        pseudonymise,
        cells.rejected,
        control_free=cells.control_free,
    )
    origin = cells.origin
    if contract.fmt in ("csv", "xlsx", "geojson"):
        origin = str(Path(cells.origin).relative_to(where.landing))
    return replace_partition(con, contract, period, origin, validated)
