"""The floor the full build is measured against: DuckDB alone reading the same deliveries
into typed tables, every delivered period, without validation, quarantine, pseudonyms
or the pipeline's bookkeeping.

    read(landing, warehouse) -> {table: {"rows": n, "seconds": s}}

Only the contracts' declarations (file names, headers, kinds) are used, not the extract
code. CSV through `read_csv` (all periods of a file in one call, Danish dialect: `;`,
dd-mm-yyyy, decimal comma; a line that does not parse is skipped, not quarantined); the
housing SQLite database copied once with Python's sqlite3 (DuckDB's sqlite scanner is not
installed and its extension server is unreachable here), then each month's contract query
run in DuckDB; workbooks with calamine (the fastest installed reader); the health API's
records from the files the synthetic API serves them from; GeoJSON with `read_json`.
"""

import datetime as dt
import sqlite3
import time
from pathlib import Path

import duckdb
import pyarrow as pa
from python_calamine import CalamineWorkbook

from sources.contracts import SQL_TYPES, Contract
from sources.landing import delivered_periods, delivery_path
from sources.registry import ALL_CONTRACTS, MONTHLY

YES = "('ja', 'j', '1', 'true', 'sand')"


def _typed(contract: Contract, source_names: list[str] | None = None) -> str:
    """Select list turning a relation with the contract's headers into its typed columns."""
    names = source_names or contract.headers
    cols = []
    for column, name in zip(contract.columns, names, strict=True):
        if column.kind == "yes_no":
            cols.append(f'lower(cast("{name}" as varchar)) in {YES} as {column.name}')
        else:
            cols.append(f'try_cast("{name}" as {SQL_TYPES[column.kind]}) as {column.name}')
    return ", ".join(cols)


def _period_of(path_column: str) -> str:
    """The period from a delivery path's folder (YYYY-MM or YYYY)."""
    folder = f"regexp_extract({path_column}, '/(\\d{{4}}(-\\d{{2}})?)/[^/]+$', 1)"
    first_day = (
        f"case when length({folder}) = 4 then {folder} || '-01-01' else {folder} || '-01' end"
    )
    return f"cast({first_day} as date) as period"


def _files(landing: Path, contract: Contract) -> list[str]:
    return [
        str(delivery_path(landing, contract, p)) for p in delivered_periods(landing, contract)[0]
    ]


def _csv(con, landing: Path, contract: Contract) -> None:
    types = {
        c.header: "date" if c.kind == "date" else "double" if c.kind == "decimal"
        else "bigint" if c.kind == "int" else "varchar"
        for c in contract.columns
    }  # fmt: skip
    columns = "{" + ", ".join(f"'{h}': '{t}'" for h, t in types.items()) + "}"
    con.execute(
        f"create table {contract.table} as select {_typed(contract)}, {_period_of('filename')} "
        f"from read_csv(?, delim=';', header=true, dateformat='%d-%m-%Y', "
        f"decimal_separator=',', columns={columns}, filename=true, ignore_errors=true)",
        [_files(landing, contract)],
    )


def _xlsx(con, landing: Path, contract: Contract) -> None:
    parts = []
    for path in _files(landing, contract):
        rows = CalamineWorkbook.from_path(path).get_sheet_by_index(0).to_python()
        columns = list(zip(*rows[1:], strict=True)) if len(rows) > 1 else [()] * len(rows[0])
        arrays = []
        for values in columns:
            try:
                arrays.append(pa.array(values))
            except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed cells: as text
                arrays.append(pa.array([None if v == "" else str(v) for v in values]))
        table = pa.table(arrays, names=[str(h) for h in rows[0]])
        folder = Path(path).parent.name
        parts.append(table.append_column("period", pa.array([folder + "-01"] * table.num_rows)))
    con.register("workbooks", pa.concat_tables(parts, promote_options="permissive"))
    con.execute(
        f"create table {contract.table} as select {_typed(contract)}, "
        "cast(period as date) as period from workbooks"
    )
    con.unregister("workbooks")


def _json_records(con, landing: Path, contract: Contract) -> None:
    """The health API's records, from the per-month files the synthetic API pages through."""
    name = contract.source.strip("/").replace("/", "_") + ".json"
    files = sorted(str(p) for p in (landing / contract.system).glob(f"*/{name}"))
    types = "{" + ", ".join(f"'{c.header}': 'varchar'" for c in contract.columns) + "}"
    con.execute(
        f"create table {contract.table} as select {_typed(contract)}, {_period_of('filename')} "
        f"from read_json(?, format='array', columns={types}, filename=true)",
        [files],
    )


def _geojson(con, landing: Path, contract: Contract) -> None:
    props = [c.header for c in contract.columns if c.header != "geometri"]
    select = ", ".join(f"json_extract_string(f, '$.properties.{h}') as {h}" for h in props)
    con.execute(
        f"create table {contract.table} as select {_typed(contract)}, period from ("
        f"select {select}, json_extract(f, '$.geometry')::varchar as geometri, period from ("
        "select unnest(cast(json_extract(content, '$.features') as json[])) as f, "
        f"{_period_of('filename')} from read_text(?)))",
        [_files(landing, contract)],
    )


def _months(starts) -> str:
    """The `months` relation the housing contracts' queries join (as sources/readers.py
    binds it), with the dates as text like the copied tables' columns."""
    rows = []
    for start in map(dt.date.fromisoformat, map(str, starts)):
        end = (start + dt.timedelta(days=32)).replace(day=1)
        rows.append(f"('{start}', '{end}')")
    return f"with months (period_start, period_end) as (values {', '.join(rows)})"


def check_housing(landing: Path) -> None:
    """Fail at once, not after minutes, on a housing database the contracts' queries
    cannot read (a landing folder from an older generator)."""
    db = next((landing / "housing").glob("*.sqlite"))
    src = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        for contract in (c for c in ALL_CONTRACTS if c.fmt == "sql"):
            try:
                src.execute(
                    f"{_months(['2000-01-01'])} select * from ({contract.source}) limit 0"
                ).fetchall()
            except sqlite3.Error as error:
                raise SystemExit(
                    f"{db}: {contract.table}'s query fails ({error}); "
                    "was this landing folder generated before the contract changed?"
                ) from error
    finally:
        src.close()


def _housing(con, landing: Path, contracts: list[Contract]) -> None:
    """Copy the database once, then each month's as-of query in DuckDB."""
    db = next((landing / "housing").glob("*.sqlite"))
    src = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    con.execute("create schema housing_source")
    for (table,) in src.execute("select name from sqlite_master where type = 'table'"):
        cursor = src.execute(f'select * from "{table}"')
        names = [d[0] for d in cursor.description]
        columns = list(zip(*cursor.fetchall(), strict=True)) or [()] * len(names)
        arrays = [pa.array([None if v is None else str(v) for v in col]) for col in columns]
        con.register("copied", pa.table(arrays, names=names))
        con.execute(f"create table housing_source.{table} as select * from copied")
        con.unregister("copied")
    src.close()
    con.execute("set search_path = 'main,housing_source'")
    # The months the file deliveries cover: the pipeline extracts the same periods.
    months = sorted(
        {p for c in MONTHLY if c.fmt == "csv" for p in delivered_periods(landing, c)[0]}
    )
    for contract in contracts:
        con.execute(
            f"create table {contract.table} as select {_typed(contract)}, "
            f"period_start::date as period from ({_months(months)} {contract.source}) as q"
        )


def read(landing: Path, warehouse: Path) -> dict[str, dict]:
    """Read every delivered period of every source into typed tables; rows and seconds each."""
    check_housing(landing)
    con = duckdb.connect(str(warehouse))
    con.execute("set enable_progress_bar = false")
    readers = {"csv": _csv, "xlsx": _xlsx, "http": _json_records, "geojson": _geojson}
    timings: dict[str, dict] = {}
    for contract in ALL_CONTRACTS:
        if contract.fmt == "sql":
            continue
        started = time.perf_counter()
        readers[contract.fmt](con, landing, contract)
        timings[contract.table] = {"seconds": round(time.perf_counter() - started, 2)}
    started = time.perf_counter()
    housing = [c for c in ALL_CONTRACTS if c.fmt == "sql"]
    _housing(con, landing, housing)
    timings["housing (all four)"] = {"seconds": round(time.perf_counter() - started, 2)}
    for contract in ALL_CONTRACTS:
        rows = con.execute(f"select count(*) from {contract.table}").fetchall()[0][0]
        timings.setdefault(contract.table, {})["rows"] = rows
    con.close()
    return timings
