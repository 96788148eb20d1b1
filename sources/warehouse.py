"""Loading validated deliveries into the raw schema of the DuckDB warehouse.

Each (table, period) is replaced as a whole inside one transaction, so a corrected
delivery for an old month leaves neither duplicates nor leftovers, and re-loading the
same delivery gives identical content.
"""

import datetime as dt
from dataclasses import dataclass

import duckdb

from sources.contracts import LINEAGE, SQL_TYPES, Contract
from sources.validate import Validated

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


def replace_partition(
    con: duckdb.DuckDBPyConnection,
    contract: Contract,
    period: dt.date,
    delivery_file: str,
    validated: Validated,
) -> LoadStats:
    """Replace one period of one raw table, its quarantine rows and its log entry, in the
    caller's transaction (`extract_periods`: one per extract).

    Loads the temporary tables `validate` left on the connection into the raw tables
    (`create_raw_tables` made them).
    """
    stats = LoadStats(validated.rows_read, validated.rows_loaded, validated.rows_quarantined)
    if stats.rows_read != stats.rows_loaded + stats.rows_quarantined:
        raise AssertionError(f"row accounting does not add up for {delivery_file}: {stats}")
    names = ", ".join(c.name for c in contract.columns)
    table = f"{RAW_SCHEMA}.{contract.table}"
    where = "system = ? and entity = ? and period = ?"
    this = [contract.system, contract.entity, period]
    con.execute(f"delete from {table} where period = ?", [period])
    con.execute(
        f"insert into {table} select {names}, cast(? as date), ?, source_line "
        "from validated_records order by source_line",
        [period, delivery_file],
    )
    con.execute(f"delete from {RAW_SCHEMA}.quarantine where {where}", this)
    con.execute(
        f"insert into {RAW_SCHEMA}.quarantine select ?, ?, ?, ?, line, column_name, value, "
        "reason from validated_quarantine order by line",
        [*this, delivery_file],
    )
    # The delivery log tells later stages which periods exist, even when empty.
    con.execute(f"delete from {RAW_SCHEMA}.deliveries where {where}", this)
    con.execute(
        f"insert into {RAW_SCHEMA}.deliveries values (?, ?, ?, ?, ?, ?, ?)",
        [*this, delivery_file, *vars(stats).values()],
    )
    return stats
