"""Reader for CSV files as Danish municipal systems export them.

`;` separator, decimal comma, dd-mm-yyyy dates, Danish headers, UTF-8 (with or without
BOM) or cp1252. Every data row is either returned as a typed record or as a quarantine
entry with line, column and reason; a file that cannot be read at all raises
`DeliveryError` naming the file and the problem, and nothing of it is loaded.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path

from sources import cpr as cpr_mod
from sources.contracts import Column, Contract

YES = {"ja", "j", "1", "sand"}
NO = {"nej", "n", "0", "falsk"}


class DeliveryError(Exception):
    """A delivered file that cannot be parsed at all."""


@dataclass
class QuarantineEntry:
    line: int
    column: str
    value: str
    reason: str


@dataclass
class ParsedDelivery:
    records: list[dict]
    quarantine: list[QuarantineEntry]
    rows_read: int
    encoding: str


def decode(raw: bytes, path: Path) -> tuple[str, str]:
    """Decode bytes as UTF-8 (BOM or not), falling back to cp1252; never guess silently."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise DeliveryError(
            f"{path}: unknown encoding (neither UTF-8 nor cp1252; byte {exc.start})"
        ) from None


def parse_value(column: Column, text: str, key: bytes) -> object:
    """Convert one cell to its contract type; raise ValueError with a reason."""
    text = text.strip()
    if text == "":
        if column.nullable:
            return None
        raise ValueError("missing value in a required column")
    kind = column.kind
    if kind == "cpr":
        try:
            return cpr_mod.pseudonymise(cpr_mod.normalise(text), key)
        except cpr_mod.InvalidCpr as exc:
            raise ValueError(f"invalid CPR number: {exc}") from None
    if kind in ("text", "enum"):
        if column.allowed and text not in column.allowed:
            raise ValueError(f"not one of the allowed values {', '.join(column.allowed)}")
        return text
    if kind == "yes_no":
        if text.lower() in YES:
            return True
        if text.lower() in NO:
            return False
        raise ValueError("not ja/nej")
    if kind == "date":
        try:
            return dt.datetime.strptime(text, "%d-%m-%Y").date()
        except ValueError:
            raise ValueError("not a date in the form dd-mm-yyyy") from None
    if kind == "int":
        try:
            number: float = int(text.replace(".", ""))  # "1.250" is a thousands separator
        except ValueError:
            raise ValueError("not a whole number") from None
    elif kind == "decimal":
        try:
            number = float(text.replace(".", "").replace(",", "."))
        except ValueError:
            raise ValueError("not a number with decimal comma") from None
    else:  # pragma: no cover - the Kind literal is exhaustive
        raise AssertionError(kind)
    if column.minimum is not None and number < column.minimum:
        raise ValueError(f"below the minimum {column.minimum:g}")
    if column.maximum is not None and number > column.maximum:
        raise ValueError(f"above the maximum {column.maximum:g}")
    return number


def read_delivery(path: Path, contract: Contract, key: bytes) -> ParsedDelivery:
    """Read one delivered CSV file against its contract."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DeliveryError(f"{path}: cannot be read ({exc.strerror})") from None
    text, encoding = decode(raw, path)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";")
    header = next(reader, None)
    if header is None:
        raise DeliveryError(f"{path}: empty file, no header line")
    header = [h.strip() for h in header]
    if len(header) == 1 and len(contract.columns) > 1:
        raise DeliveryError(f"{path}: line 1 has one column; the separator must be ';'")
    missing = [c.header for c in contract.columns if c.header not in header]
    if missing:
        raise DeliveryError(f"{path}: missing required column(s) {', '.join(missing)}")
    positions = {c.name: header.index(c.header) for c in contract.columns}

    records: list[dict] = []
    quarantine: list[QuarantineEntry] = []
    seen_keys: dict[tuple, int] = {}
    rows_read = 0
    for line_no, fields in enumerate(reader, start=2):
        if not fields or all(f.strip() == "" for f in fields):
            continue  # blank lines are layout, not rows
        rows_read += 1
        if len(fields) != len(header):
            quarantine.append(
                QuarantineEntry(line_no, "", "", f"{len(fields)} fields, expected {len(header)}")
            )
            continue
        record: dict = {}
        problem: QuarantineEntry | None = None
        for column in contract.columns:
            cell = fields[positions[column.name]]
            try:
                record[column.name] = parse_value(column, cell, key)
            except ValueError as exc:
                shown = "<redacted>" if column.kind == "cpr" else cell
                problem = QuarantineEntry(line_no, column.header, shown, str(exc))
                break
        if problem:
            quarantine.append(problem)
            continue
        row_key = tuple(record[k] for k in contract.key)
        if row_key in seen_keys:
            quarantine.append(
                QuarantineEntry(
                    line_no,
                    ",".join(contract.key),
                    "",
                    f"duplicate key, first seen on line {seen_keys[row_key]}",
                )
            )
            continue
        seen_keys[row_key] = line_no
        record["source_line"] = line_no
        records.append(record)
    return ParsedDelivery(records, quarantine, rows_read, encoding)
