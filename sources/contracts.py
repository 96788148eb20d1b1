"""Declared contracts of the source deliveries.

A contract is declared once per delivered entity and used by the reader (parsing and
validation), by the warehouse (table DDL), by the source quality checks and by the
generated source documentation (docs/sources.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["text", "int", "decimal", "date", "cpr", "enum", "yes_no"]
Format = Literal["csv", "xlsx", "sql", "http", "geojson"]

SQL_TYPES: dict[str, str] = {
    "text": "varchar",
    "enum": "varchar",
    "int": "bigint",
    "decimal": "double",
    "date": "date",
    "yes_no": "boolean",
    "cpr": "uuid",  # holds the keyed pseudonym (sources/cpr.py), never the number
}

# Lineage columns every raw table carries, for partition replace and tracing a row back.
LINEAGE = (("period", "date"), ("delivery_file", "varchar"), ("source_line", "bigint"))
# Names the validator's tables give their own columns beside a contract's (sources/validate.py).
RESERVED = {name for name, _ in LINEAGE} | {"part", "reason", "column_name", "value"}
# The smallest number a CPR number reads as, when a spreadsheet drops its leading zero
# (010100-0000 as 101000000). A numeric column's maximum stays below it, so a CPR number
# typed into a count or an amount is quarantined, never loaded as a number.
CPR_AS_NUMBER = 101_000_000
NUMBERS = ("int", "decimal")


@dataclass(frozen=True)
class Column:
    header: str  # the column name as the source system writes it (Danish)
    name: str  # the column name in the warehouse
    kind: Kind
    nullable: bool = False
    allowed: tuple[str, ...] = ()
    minimum: float | None = None
    maximum: float | None = None
    description: str = ""


@dataclass(frozen=True)
class Interval:
    """A validity interval of a row: `end` may not be before `start`; an empty end is open."""

    start: str  # warehouse column names
    end: str


@dataclass(frozen=True)
class QueryDate:
    """A date or timestamp column of a database table that a `sql` contract's query compares
    as ISO text to the month's bounds. A row where it is NULL, or text of another form,
    matches no month and would vanish from every delivery unseen, so the reader refuses the
    delivery instead (sources/readers.py)."""

    table: str
    column: str
    nullable: bool = False
    required_with: str = ""  # a nullable column needed when this other one is set
    month_start: bool = False  # compared for equality with the month's first day


@dataclass(frozen=True)
class Contract:
    system: str
    entity: str
    fmt: Format
    # csv / xlsx / geojson: file name in the delivery folder; sql: a query joining
    # `months` (period_start, period_end: the first day after the month, also the as-of
    # moment: the query returns what the system knew by then), returning period_start
    # first, ordered by it and the key; it runs once per month on the tables it names,
    # each read once per extract (sources/readers.py); http: the endpoint path.
    source: str
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str
    cadence: Literal["monthly", "yearly"] = "monthly"
    intervals: tuple[Interval, ...] = ()
    query_dates: tuple[QueryDate, ...] = ()  # sql: every date column the query filters on

    def __post_init__(self) -> None:
        reserved = sorted(RESERVED & {c.name for c in self.columns})
        if reserved:
            raise ValueError(f"{self.table}: column name(s) {', '.join(reserved)} are reserved")
        for c in self.columns:
            if c.kind in NUMBERS and not (c.maximum is not None and c.maximum < CPR_AS_NUMBER):
                raise ValueError(
                    f"{self.table}: numeric column {c.name} needs a maximum below "
                    f"{CPR_AS_NUMBER:,}, the smallest number a CPR number reads as"
                )
        dates = {c.name for c in self.columns if c.kind == "date"}
        for interval in self.intervals:
            if not {interval.start, interval.end} <= dates:
                raise ValueError(f"{self.table}: interval {interval} needs two date columns")

    @property
    def table(self) -> str:
        return f"{self.system}__{self.entity}"

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns] + [name for name, _ in LINEAGE]

    def ddl(self, schema: str) -> str:
        cols = [f"{c.name} {SQL_TYPES[c.kind]}" for c in self.columns]
        cols += [f"{name} {sql_type}" for name, sql_type in LINEAGE]
        return f"create table if not exists {schema}.{self.table} ({', '.join(cols)})"
