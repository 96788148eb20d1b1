"""Declared contracts of the source deliveries.

A contract is declared once per delivered file and used by the reader (parsing and
validation), by the warehouse (table DDL) and by the quality suites.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Kind = Literal["text", "int", "decimal", "date", "cpr", "enum", "yes_no"]

SQL_TYPES: dict[str, str] = {
    "text": "varchar",
    "enum": "varchar",
    "int": "bigint",
    "decimal": "double",
    "date": "date",
    "yes_no": "boolean",
    "cpr": "varchar",  # holds the keyed pseudonym, never the number
}


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
class Contract:
    system: str
    entity: str
    file_name: str  # name of the file inside a delivery folder
    columns: tuple[Column, ...]
    key: tuple[str, ...]
    description: str
    # Extra warehouse columns every raw table carries, for lineage and partition replace.
    lineage: tuple[tuple[str, str], ...] = field(
        default=(("period", "date"), ("delivery_file", "varchar"), ("source_line", "bigint"))
    )

    @property
    def table(self) -> str:
        return f"{self.system}__{self.entity}"

    def column_names(self) -> list[str]:
        return [c.name for c in self.columns] + [name for name, _ in self.lineage]

    def ddl(self, schema: str) -> str:
        cols = [f"{c.name} {SQL_TYPES[c.kind]}" for c in self.columns]
        cols += [f"{name} {sql_type}" for name, sql_type in self.lineage]
        return f"create table if not exists {schema}.{self.table} ({', '.join(cols)})"
