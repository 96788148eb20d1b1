"""Loading validated deliveries into the raw schema of the DuckDB warehouse.

Each (table, period) is replaced as a whole inside one transaction, so a corrected
delivery for an old month leaves neither duplicates nor leftovers, and re-loading the
same delivery gives identical content.
"""

import contextlib
import datetime as dt
from dataclasses import dataclass

import duckdb
import pyarrow as pa

from sources.contracts import LINEAGE, SQL_TYPES, Contract
from sources.validate import CPR_SEPARATORS, Validated

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


def create_raw_tables(con: duckdb.DuckDBPyConnection, contracts: tuple[Contract, ...]) -> None:
    """Every raw table, so later stages can read an entity before its first delivery."""
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    for contract in contracts:
        con.execute(contract.ddl(RAW_SCHEMA))
        check_raw_columns(con, contract)
    con.execute(QUARANTINE_DDL)
    con.execute(DELIVERIES_DDL)


class SchemaMismatch(Exception):
    pass


def raw_columns(con: duckdb.DuckDBPyConnection, contract: Contract) -> list[str]:
    """The columns of the contract's raw table as the warehouse holds them, in order."""
    return [
        name
        for (name,) in con.execute(
            "select column_name from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [RAW_SCHEMA, contract.table],
        ).fetchall()
    ]


def check_raw_columns(con: duckdb.DuckDBPyConnection, contract: Contract) -> None:
    """Fail clearly when a warehouse built by an older contract meets a newer one: a
    column added, dropped or retyped (person keys were text before they were UUIDs, and
    an insert would silently cast new keys to text beside the old ones)."""
    found = [
        f"{name} {data_type.lower()}"
        for name, data_type in con.execute(
            "select column_name, data_type from information_schema.columns "
            "where table_schema = ? and table_name = ? order by ordinal_position",
            [RAW_SCHEMA, contract.table],
        ).fetchall()
    ]
    expected = [f"{c.name} {SQL_TYPES[c.kind]}" for c in contract.columns]
    expected += [f"{name} {sql_type}" for name, sql_type in LINEAGE]
    if found != expected:
        raise SchemaMismatch(
            f"{RAW_SCHEMA}.{contract.table} has columns {found}, but its contract now has "
            f"{expected}: the warehouse was built by an older version. Reload it from the "
            "landing zone into a new warehouse file (`make clean` for the local demo)."
        )


@dataclass(frozen=True)
class LoadStats:
    rows_read: int
    rows_loaded: int
    rows_quarantined: int


def replace_partitions(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    deliveries: list[tuple[dt.date, str]],
    validated: list[Validated],
) -> list[LoadStats]:
    """Replace the periods of one raw table that `deliveries` (period, delivery file) name,
    with their quarantine rows and log entries, in the caller's transaction
    (`extract_periods`: one per batch of periods).

    Loads the temporary tables `validate_deliveries` left on the connection, whose `part`
    is the index of a delivery here, into the raw tables (`create_raw_tables` made them).
    """
    stats = [LoadStats(v.rows_read, v.rows_loaded, v.rows_quarantined) for v in validated]
    for (_, delivery_file), one in zip(deliveries, stats, strict=True):
        if one.rows_read != one.rows_loaded + one.rows_quarantined:
            raise AssertionError(f"row accounting does not add up for {delivery_file}: {one}")
    periods = [period for period, _ in deliveries]
    con.register(
        "batch_deliveries",
        pa.table(
            {
                "part": pa.array(range(len(deliveries)), pa.int32()),
                "period": pa.array(periods, pa.date32()),
                "delivery_file": [delivery_file for _, delivery_file in deliveries],
                "rows_read": [one.rows_read for one in stats],
                "rows_loaded": [one.rows_loaded for one in stats],
                "rows_quarantined": [one.rows_quarantined for one in stats],
            }
        ),
    )
    names = ", ".join(f"r.{c.name}" for c in contract.columns)
    table = f"{RAW_SCHEMA}.{contract.table}"
    these = f"period in ({', '.join('?' * len(periods))})"
    where = f"system = ? and entity = ? and {these}"
    source = [contract.system, contract.entity]
    try:
        con.execute(f"delete from {table} where {these}", periods)
        con.execute(f"""
            insert into {table} select {names}, d.period, d.delivery_file, r.source_line
            from validated_records as r join batch_deliveries as d on d.part = r.part
            order by r.part, r.source_line
        """)
        con.execute(f"delete from {RAW_SCHEMA}.quarantine where {where}", [*source, *periods])
        con.execute(
            f"""
            insert into {RAW_SCHEMA}.quarantine select ?, ?, d.period, d.delivery_file, q.line,
                q.column_name, {redacted_cpr("q.value")}, q.reason
            from validated_quarantine as q join batch_deliveries as d on d.part = q.part
            order by q.part, q.line
            """,
            source,
        )
        # The delivery log tells later stages which periods exist, even when empty.
        con.execute(f"delete from {RAW_SCHEMA}.deliveries where {where}", [*source, *periods])
        con.execute(
            f"""
            insert into {RAW_SCHEMA}.deliveries select ?, ?, period, delivery_file, rows_read,
                rows_loaded, rows_quarantined
            from batch_deliveries order by part
            """,
            source,
        )
    finally:
        # After a failed statement (a full disk) the transaction refuses anything but a
        # rollback: the statement's own error must be the one raised.
        with contextlib.suppress(duckdb.TransactionException):
            con.unregister("batch_deliveries")
    return stats


def redacted_cpr(value: str) -> str:
    """SQL of `value` with every CPR-shaped run of digits (ten, spelled as people write a
    CPR number: sources/validate.py's CPR_NUMBER, any day and month; or nine, the leading
    zero a spreadsheet drops; not part of a longer number) replaced: a number typed into
    another column (an enum, a count, a JSON object in a text column) must not reach the
    quarantine raw. Twice: a match takes the character after it, which may begin the next
    number ('0101901234;0202901234')."""
    shape = rf"[0-9]{{1,2}}\.?[0-9]{{2}}\.?[0-9]{{2}}[{CPR_SEPARATORS}]?[0-9]{{4}}"
    for _ in range(2):
        value = f"regexp_replace({value}, '(^|[^0-9]){shape}([^0-9]|$)', '\\1<redacted>\\2', 'g')"
    return value
