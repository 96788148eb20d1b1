"""Loading extracted deliveries into the raw schema of the DuckDB warehouse.

Each (table, period) is replaced as a whole inside one transaction, so a corrected
delivery for an old month leaves neither duplicates nor leftovers, and re-loading the
same delivery gives identical content.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from sources.contracts import SQL_TYPES, Contract
from sources.danish_csv import ParsedDelivery

RAW_SCHEMA = "raw"

DELIVERIES_DDL = f"""
create table if not exists {RAW_SCHEMA}.deliveries (
    system varchar, entity varchar, period date, delivery_file varchar,
    rows_read bigint, rows_loaded bigint, rows_quarantined bigint
)
"""

QUARANTINE_DDL = f"""
create table if not exists {RAW_SCHEMA}.quarantine (
    system varchar, entity varchar, period date, delivery_file varchar,
    line bigint, column_name varchar, value varchar, reason varchar
)
"""


@dataclass(frozen=True)
class LoadStats:
    rows_read: int
    rows_loaded: int
    rows_quarantined: int


def replace_partition(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    period: dt.date,
    delivery_file: str,
    parsed: ParsedDelivery,
) -> LoadStats:
    """Replace one month of one raw table, and its quarantine rows, atomically."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    con.execute(contract.ddl(RAW_SCHEMA))
    con.execute(QUARANTINE_DDL)
    con.execute(DELIVERIES_DDL)

    rows = pd.DataFrame.from_records(
        parsed.records, columns=[c.name for c in contract.columns] + ["source_line"]
    ).astype(object)
    rows["period"] = period
    rows["delivery_file"] = delivery_file
    casts = ", ".join(
        f"cast({c.name} as {SQL_TYPES[c.kind]}) as {c.name}" for c in contract.columns
    )
    quarantine = pd.DataFrame(
        [(q.line, q.column, q.value, q.reason) for q in parsed.quarantine],
        columns=["line", "column_name", "value", "reason"],
    ).astype(object)

    stats = LoadStats(parsed.rows_read, len(parsed.records), len(parsed.quarantine))
    if stats.rows_read != stats.rows_loaded + stats.rows_quarantined:
        raise AssertionError(f"row accounting does not add up for {delivery_file}: {stats}")
    table = f"{RAW_SCHEMA}.{contract.table}"
    con.execute("begin transaction")
    try:
        con.execute(f"delete from {table} where period = ?", [period])
        con.register("incoming_rows", rows)
        con.execute(
            f"insert into {table} select {casts}, cast(period as date), "
            "cast(delivery_file as varchar), cast(source_line as bigint) from incoming_rows"
        )
        con.execute(
            f"delete from {RAW_SCHEMA}.quarantine where system = ? and entity = ? and period = ?",
            [contract.system, contract.entity, period],
        )
        con.register("incoming_quarantine", quarantine)
        con.execute(
            f"insert into {RAW_SCHEMA}.quarantine select ?, ?, ?, ?, cast(line as bigint), "
            "cast(column_name as varchar), cast(value as varchar), cast(reason as varchar) "
            "from incoming_quarantine",
            [contract.system, contract.entity, period, delivery_file],
        )
        # The delivery log tells later stages which months exist, even when empty.
        con.execute(
            f"delete from {RAW_SCHEMA}.deliveries where system = ? and entity = ? and period = ?",
            [contract.system, contract.entity, period],
        )
        con.execute(
            f"insert into {RAW_SCHEMA}.deliveries values (?, ?, ?, ?, ?, ?, ?)",
            [
                contract.system,
                contract.entity,
                period,
                delivery_file,
                stats.rows_read,
                stats.rows_loaded,
                stats.rows_quarantined,
            ],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    finally:
        con.unregister("incoming_rows")
        con.unregister("incoming_quarantine")
    return stats
