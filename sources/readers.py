"""Readers for the forms source systems deliver in: Danish CSV, Excel, SQL and a JSON API.

Each reader returns the rows as text cells with their line (or record) number, so one
vectorised validator (sources/validate.py) applies the contract to every format. A
delivery that cannot be read at all raises DeliveryError naming where and what.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
import sqlite3
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.etree import ElementTree

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from sources import csv_fast, duckdb_limits
from sources.contracts import Contract, QueryDate
from sources.validate import CPR_NUMBER, DANISH, ISO, QUARANTINE_COLUMNS, Cells


class DeliveryError(Exception):
    """A delivery that cannot be parsed at all; nothing of it is loaded."""


class SourceUnavailable(DeliveryError):
    """The source could not be reached (an API down, a database locked by a writer), even
    after retries: transient, worth a later retry.

    Every other DeliveryError is a fault in the delivery itself and retrying cannot help.
    """


def _no_rejects() -> pd.DataFrame:
    return pd.DataFrame(columns=QUARANTINE_COLUMNS)


def _check_headers(origin: str, found: list[str], contract: Contract) -> None:
    missing = [h for h in contract.headers if h not in found]
    if missing:
        raise DeliveryError(f"{origin}: missing required column(s) {', '.join(missing)}")
    twice = [h for h in contract.headers if found.count(h) > 1]
    if twice:  # which of them holds the values is anyone's guess
        raise DeliveryError(f"{origin}: column(s) {', '.join(twice)} more than once")


class JsonNumber(float):
    """A JSON number with a fraction or an exponent: a float that keeps the text it was
    written as, so a text column takes that text (`json_text`: through a double, an id
    written `1234567890123456789.0` would read back as ...768, and `1.5e300` as 301
    digits)."""

    __slots__ = ("literal",)

    def __new__(cls, literal: str) -> JsonNumber:
        number = super().__new__(cls, literal)
        number.literal = literal
        return number


def json_text(value: object, kind: str | None) -> str:
    """A JSON value of a column of this kind as the text the validator reads: a number
    with a fraction or an exponent in a text column as written (an id sent as a number),
    elsewhere as to_text spells it (1.0 as 1, as a yes/no or an allowed value reads)."""
    if isinstance(value, JsonNumber) and kind == "text":
        return value.literal
    return to_text(value)


def to_text(value: object) -> str:
    """Typed values from Excel, SQL or JSON as the text the validator reads (ISO dialect)."""
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _column_text(column: pd.Series) -> pd.Series:
    """A column of typed values as text, as to_text spells them, vectorised where it can be.

    Workbook numbers come as floats (3.0 for 3): whole ones are written without a fraction.
    """
    kind = pd.api.types.infer_dtype(column, skipna=True)
    if kind in ("string", "empty"):
        return column.fillna("")
    if kind == "integer":
        return column.astype(str)
    if kind != "floating":
        return column.map(to_text)
    numbers = column.astype(float)
    text = numbers.astype(str)
    whole = (numbers == np.floor(numbers)) & (numbers.abs() < 2**53)
    text[whole] = numbers[whole].astype(np.int64).astype(str)
    text[numbers.isna()] = ""
    return text


@functools.cache
def _scratch() -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that turns typed columns into text and splits database tables by
    month, bounded like the warehouse's connection; each use takes its own cursor.
    Connecting costs some 40 ms, so one serves the process."""
    limits = duckdb_limits.settings("")
    return duckdb.connect(
        config={"memory_limit": limits["memory_limit"], "threads": int(limits["threads"])}
    )


# How to_text spells each value of a typed column, as DuckDB SQL over the column {c}
# (DuckDB writes a double as Python's str does; a test holds the two equal). Any other
# type goes through _column_text.
_TEXT_SQL = {
    "VARCHAR": "coalesce({c}, '')",
    "BIGINT": "coalesce(cast({c} as varchar), '')",
    "INTEGER": "coalesce(cast({c} as varchar), '')",
    "DOUBLE": "case when {c} is null or isnan({c}) then '' when {c} = floor({c}) and "
    "abs({c}) < 9007199254740992 then cast(cast({c} as bigint) as varchar) "
    "else cast({c} as varchar) end",
    "DATE": "coalesce(cast({c} as varchar), '')",
    "TIMESTAMP": "coalesce(cast(cast({c} as date) as varchar), '')",
    "BOOLEAN": "case when {c} then 'ja' when not {c} then 'nej' else '' end",
    '"NULL"': "''",
}


def _text_table(table: pa.Table, names: list[str]) -> pa.Table:
    """Columns `names` of a typed Arrow table as text without nulls, as to_text spells each
    value, computed a column at a time in SQL instead of a Python call per cell."""
    cur = _scratch().cursor()
    try:
        cur.register("typed", table)
        relation = cur.sql("select * from typed")
        types = {n: str(t) for n, t in zip(relation.columns, relation.types, strict=True)}
        exprs = [
            _TEXT_SQL.get(types[n], "''").format(c=_ident(n)) + f" as {_ident(n)}" for n in names
        ]
        text = cur.sql(f"select {', '.join(exprs)} from typed").to_arrow_table()
    finally:
        cur.close()
    for i, name in enumerate(names):  # the rare other types (decimals, times) cell by cell
        if types[name] not in _TEXT_SQL:
            values = _column_text(pd.Series(table[name].to_pylist(), dtype=object))
            text = text.set_column(i, name, pa.array(values.tolist(), pa.string()))
    return text


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


UTF8_BOM = b"\xef\xbb\xbf"
# Byte order marks of encodings the readers refuse (UTF-32 LE first: it starts like UTF-16 LE).
FOREIGN_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
SHOWN_LINES = 5  # line numbers a message names before "and N more"


def _line_of(raw: bytes, position: int) -> int:
    return raw.count(b"\n", 0, position) + 1


def _line_list(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:SHOWN_LINES])
    more = len(numbers) - SHOWN_LINES
    return f"{shown} and {more} more" if more > 0 else shown


def _utf8_by_line(raw: bytes) -> tuple[list[int], list[int]]:
    """Numbers of the non-ASCII lines that are UTF-8, and of the lines that are not."""
    utf8, other = [], []
    for n, line in enumerate(raw.split(b"\n"), start=1):
        if not line.isascii():
            try:
                line.decode("utf-8")
                utf8.append(n)
            except UnicodeDecodeError:
                other.append(n)
    return utf8, other


def _has_utf8_pair(body: bytes) -> bool:
    """Whether a UTF-8 lead byte (0xC2-0xF4) is followed by a continuation byte anywhere."""
    data = np.frombuffer(body, dtype=np.uint8)
    high = np.flatnonzero(data[:-1] >= 0xC2)  # few: the letters beyond ASCII
    after = data[high[data[high] <= 0xF4] + 1]
    return bool(((after >= 0x80) & (after <= 0xBF)).any())


def decode(raw: bytes, origin: str) -> tuple[str, str]:
    """UTF-8 (with or without BOM), else cp1252; a file that is neither, or both, fails.

    Only a file without UTF-8 text beyond ASCII is read as cp1252: one cp1252 line in a
    UTF-8 file would otherwise turn every æ, ø and å of the other lines into mojibake.
    """
    for bom, name in FOREIGN_BOMS:
        if raw.startswith(bom):
            raise DeliveryError(
                f"{origin}: {name} text (byte order mark); expected UTF-8 or cp1252"
            )
    if b"\x00" in raw:  # the zero-filled tail of a file not completely written, or UTF-16
        line = _line_of(raw, raw.index(b"\x00"))
        raise DeliveryError(f"{origin}: line {line}: NUL byte; a damaged file or not text")
    if raw.endswith(b"\x1a"):  # else taken for a last line cut short
        raise DeliveryError(
            f"{origin}: ends with a DOS end-of-file byte (Ctrl-Z, 0x1A); deliver the file "
            "without it"
        )
    has_bom = raw.startswith(UTF8_BOM)
    body = raw[len(UTF8_BOM) :] if has_bom else raw
    try:
        return body.decode("utf-8"), "utf-8-sig" if has_bom else "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        text = body.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise DeliveryError(
            f"{origin}: unknown encoding: line {_line_of(body, exc.start)} is neither UTF-8 "
            f"nor cp1252 (byte 0x{body[exc.start]:02X})"
        ) from None
    # A UTF-8 line needs a lead byte followed by a continuation byte: without one anywhere,
    # no line is UTF-8 and the per-line check (a Python loop) is not needed.
    if not has_bom and not _has_utf8_pair(body):
        return text, "cp1252"
    utf8, other = _utf8_by_line(body)
    if utf8 or has_bom:
        claim = f"UTF-8 on line(s) {_line_list(utf8)}" if utf8 else "a UTF-8 byte order mark"
        raise DeliveryError(
            f"{origin}: mixed encodings: {claim}, not UTF-8 on line(s) {_line_list(other)}"
        )
    return text, "cp1252"


class _BadLine(Exception):
    """A line that is not one record of the file's columns: quarantined with this reason."""

    def __init__(self, reason: str, field: int | None = None, cut: bool = False):
        super().__init__(reason)
        self.field = field  # 0-based position of the field at fault, if one is
        self.cut = cut  # what a line cut short looks like (too few fields, an open quote)


def _quoted_field(line: str, start: int, field: int) -> tuple[str, int]:
    """The field whose opening quote is at `start`, and the position after its closing quote."""
    parts, i = [], start + 1
    while True:
        close = line.find('"', i)
        if close < 0:
            raise _BadLine("quote not closed on this line", field, cut=True)
        parts.append(line[i:close])
        if not line.startswith('"', close + 1):
            return '"'.join(parts), close + 1
        i = close + 2  # "" is one quote character inside the field


def _fields(line: str) -> list[str]:
    """The `;`-separated fields of one line; a quoted field may hold ';' and '""'.

    No contract has text spanning lines, so a quote must close on the line it opens: a
    lost closing quote costs that line, not the rest of the file.
    """
    if '"' not in line:
        return line.split(";")
    fields, i = [], 0
    while True:
        if line.startswith('"', i):
            value, i = _quoted_field(line, i, len(fields))
            if i < len(line) and line[i] != ";":
                raise _BadLine("text after the closing quote", len(fields))
        else:
            end = line.find(";", i)
            end = len(line) if end < 0 else end
            value, i = line[i:end], end
            if '"' in value:  # the rest of a quoted field broken over lines, most likely
                raise _BadLine("quote inside an unquoted field", len(fields))
        fields.append(value)
        if i == len(line):
            return fields
        i += 1


def _record(line: str, width: int) -> list[str]:
    fields = _fields(line)
    if len(fields) != width:
        raise _BadLine(f"{len(fields)} fields, expected {width}", cut=len(fields) < width)
    return fields


def _physical_lines(text: str) -> tuple[list[str], bool]:
    """The lines without their LF or CRLF ends, and whether the last one has a line end."""
    lines = text.split("\n")
    ended = lines[-1] == ""
    if ended:
        lines.pop()
    return [line.removesuffix("\r") for line in lines], ended


def _csv_header(lines: list[str], contract: Contract, origin: str) -> list[str]:
    if not lines or not lines[0].strip():
        raise DeliveryError(f"{origin}: empty file, no header line")
    if "\r" in lines[0]:
        raise DeliveryError(f"{origin}: line 1 holds a CR: CR-only line ends? Expected LF or CRLF")
    try:
        header = [h.strip() for h in _fields(lines[0])]
    except _BadLine as bad:
        raise DeliveryError(f"{origin}: line 1: {bad}") from None
    if len(header) == 1 and len(contract.columns) > 1:
        raise DeliveryError(f"{origin}: line 1 has one column; the separator must be ';'")
    _check_headers(origin, header, contract)
    return header


def _loop_rows(
    lines: list[str], ended: bool, header: list[str], wanted: list[str], origin: str
) -> tuple[pd.DataFrame, np.ndarray, pd.DataFrame]:
    """Every line checked on its own: the reference reader, with a reason for each bad line."""
    width = len(header)
    fields, numbers, rejected = [], [], []  # fields: row after row, one flat list
    for n, line in enumerate(lines[1:], start=2):
        if not line.strip(" \t"):
            continue  # a blank line is layout, not a row
        try:
            row = _record(line, width)
            if n == len(lines) and not ended:
                # A copy cut inside the last field has the right field count ('0,75' cut
                # to '0,7'): such a row could load a wrong value.
                raise _BadLine("no line end after the last line: it may be cut short")
            fields.extend(row)
            numbers.append(n)
        except _BadLine as bad:
            if bad.cut and n == len(lines) and not ended:
                raise DeliveryError(
                    f"{origin}: truncated: line {n} ends mid-row without a line end ({bad})"
                ) from None
            column = header[bad.field] if bad.field is not None else ""
            rejected.append((n, column, "", str(bad)))
    # A flat list and column slices, not a list per row: millions of small lists would
    # keep Python's cycle collector busy for most of the read.
    frame = pd.DataFrame({h: fields[header.index(h) :: width] for h in wanted}, dtype=object)
    return (
        frame,
        np.array(numbers, dtype=np.int64),
        pd.DataFrame(rejected, columns=QUARANTINE_COLUMNS),
    )


def read_csv(path: Path, contract: Contract) -> Cells:
    """A `;`-separated Danish CSV export, one record per line.

    Every non-blank line after the header is one row read: loaded or quarantined. Rows are
    counted by physical lines, so no parsing fault can make lines vanish from the account.
    A plain file goes through DuckDB's CSV reader (sources/csv_fast.py); any other through
    the line loop, which names each bad line.
    """
    origin = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DeliveryError(f"{origin}: cannot be read ({exc.strerror})") from None
    text, encoding = decode(raw, origin)
    end = text.find("\n")  # the header line, without copying the rest (a split would)
    first = (text if end < 0 else text[:end]).removesuffix("\r")
    header = _csv_header([first] if text else [], contract, origin)
    fast = csv_fast.read(path, raw, encoding, header, contract.headers)
    if fast is not None:
        free, trimmed = csv_fast.control_free(raw), csv_fast.trimmed(raw, encoding)
        return Cells(fast[0], fast[1], _no_rejects(), DANISH, origin, encoding, free, trimmed)
    lines, ended = _physical_lines(text)
    frame, numbers, rejected = _loop_rows(lines, ended, header, contract.headers, origin)
    return Cells(frame, numbers, rejected, DANISH, origin, encoding)


# Arrow types of workbook cells that _text_table spells as to_text does.
_TYPED_CELLS = (pa.string(), pa.int64(), pa.float64(), pa.bool_(), pa.date32(), pa.null())


def _cells_array(values: np.ndarray) -> pa.Array:
    """A workbook column as one typed Arrow array; a column of mixed types (numbers and
    text, say) or of other types (times, durations) as its text, spelled cell by cell."""
    try:
        array = pa.array(values)
        if array.type in _TYPED_CELLS or array.type == pa.timestamp("us"):
            return array
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    return pa.array(_column_text(pd.Series(values, dtype=object)).tolist(), pa.string())


def _sheet_header(row: list) -> list[str]:
    return [to_text(h).strip() for h in row]


_CPR_CELL = re.compile(CPR_NUMBER)
# The rows of another sheet looked at: rows of the delivery show in its first ones, and a
# stray cell far out (XFD2000) would otherwise make millions of empty cells to look at.
OTHER_SHEET_ROWS = 100


def _holds_rows(sheet: list[list], start: tuple[int, int], contract: Contract) -> str | None:
    """Why a sheet other than the first (its rows from `start`, calamine's first cell)
    looks like rows of the delivery, if it does: a row with half of the contract's headers
    or more (any case, anywhere in its first rows: below a title, from column B), or a CPR
    number (a continuation of the rows without headers), also one Excel stored as a
    number, its leading zero dropped (101901234). A sheet of notes has neither."""
    headers = {h.casefold() for h in contract.headers}
    for r, row in enumerate(sheet, start=start[0]):
        cells = [to_text(c).strip() for c in row]
        if 2 * len(headers & {c.casefold() for c in cells}) >= len(headers):
            return f"the contract's headers in row {r + 1}"
        for c, (cell, value) in enumerate(zip(cells, row, strict=True), start=start[1]):
            if type(value) in (int, float) and 1e8 <= value < 1e10:
                cell = f"{value:010.0f}"
            if _CPR_CELL.fullmatch(cell):
                return f"a CPR number in cell {_cell_name(r, c)}"
    return None


def _cell_name(row: int, column: int) -> str:
    """A1 for (0, 0)."""
    letters = ""
    column += 1
    while column:
        column, rest = divmod(column - 1, 26)
        letters = chr(65 + rest) + letters
    return f"{letters}{row + 1}"


# The cells a sheet may span, empty ones included: calamine holds the whole span in memory
# (32 bytes a cell) and its rows as Python objects, so one value typed far out
# (XFD30000: 491 million cells) would take gigabytes and end the process unnamed. Every
# row Excel allows, 19 columns wide, fits.
MAX_SHEET_CELLS = 20_000_000
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_RELATION = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
# Its last cell: the rows are read from A1 to it, whatever the first cell.
_DIMENSION = re.compile(
    rb'<(?:\w+:)?dimension ref="((?:[A-Z]+[0-9]+:)?([A-Z]+)([0-9]+))"', re.IGNORECASE
)


def _column_number(letters: bytes) -> int:
    return functools.reduce(lambda n, c: 26 * n + c - 64, letters, 0)


def _declared_spans(path: Path) -> dict[str, tuple[str, int]]:
    """Each sheet's span (its reference, and the cells from A1 to its last) by sheet name,
    as the workbook declares it: Excel writes `<dimension ref="A1:F200"/>` at the top of a
    sheet, so this reads a few bytes of each before calamine parses any. A sheet declaring
    none, or less than it holds, is measured after calamine's parse."""
    spans = {}
    with zipfile.ZipFile(path) as archive:
        book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
        relations = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
        targets = {r.get("Id"): r.get("Target", "") for r in relations}
        parts = set(archive.namelist())
        for sheet in book.iterfind(f"{{{_MAIN}}}sheets/{{{_MAIN}}}sheet"):
            target = targets.get(sheet.get(f"{{{_RELATION}}}id"), "")
            part = target[1:] if target.startswith("/") else f"xl/{target}"
            if part not in parts:
                continue
            with archive.open(part) as stream:
                found = _DIMENSION.search(stream.read(4096))
            if found:
                ref, last_column, last_row = found.groups()
                cells = _column_number(last_column.upper()) * int(last_row)
                spans[sheet.get("name")] = (ref.decode(), cells)
    return spans


def _refuse_span(origin: str, sheet: str, span: str, cells: int) -> None:
    if cells > MAX_SHEET_CELLS:
        raise DeliveryError(
            f"{origin}: sheet {sheet!r} spans {span} ({cells:,} cells, empty ones included), "
            f"more than the {MAX_SHEET_CELLS:,} read: a value typed far from the rows? Delete "
            "it (Ctrl+End goes to the sheet's last cell) and deliver the workbook again"
        )


def _parsed_sheet(workbook, index: int, origin: str):
    """A sheet as calamine parsed it, refused if it spans too many cells, from A1 to its
    last, to turn into rows."""
    sheet = workbook.get_sheet_by_index(index)
    rows, columns = (sheet.end[0] + 1, sheet.end[1] + 1) if sheet.end else (0, 0)
    span = f"{rows} rows x {columns} columns from A1"
    _refuse_span(origin, workbook.sheet_names[index], span, rows * columns)
    return sheet


def read_xlsx(path: Path, contract: Contract) -> Cells:
    """The first sheet of an Excel workbook; row 1 holds the headers. Another sheet may
    hold notes, not rows: one that looks like rows of the delivery refuses the workbook.

    Cells are handled a column at a time: typed by Arrow and spelled as text in SQL, so
    there is no Python work per cell after calamine's read.
    """
    from python_calamine import CalamineWorkbook

    origin = str(path)
    try:
        for name, (span, cells) in _declared_spans(path).items():
            _refuse_span(origin, name, span, cells)
        workbook = CalamineWorkbook.from_path(str(path))
        rows = _parsed_sheet(workbook, 0, origin).to_python(skip_empty_area=False)
        others = []  # (name, first cell, first rows) of every other sheet
        for i, name in enumerate(workbook.sheet_names[1:], start=1):
            sheet = _parsed_sheet(workbook, i, origin)
            others.append((name, sheet.start or (0, 0), sheet.to_python(nrows=OTHER_SHEET_ROWS)))
    except DeliveryError:
        raise
    except Exception as exc:  # zipfile, XML and calamine each have errors for a broken file
        raise DeliveryError(f"{origin}: not a readable .xlsx workbook ({exc})") from None
    if not rows:
        raise DeliveryError(f"{origin}: empty sheet, no header row")
    header = _sheet_header(rows[0])
    _check_headers(origin, header, contract)
    more = [
        f"{name!r} ({why})"
        for name, start, sheet in others
        if (why := _holds_rows(sheet, start, contract))
    ]
    if more:
        raise DeliveryError(
            f"{origin}: sheet(s) {', '.join(more)} look like rows of the delivery; only the "
            f"first sheet ({workbook.sheet_names[0]!r}) is read, so their rows would be "
            "lost: deliver every row on the first sheet"
        )
    # calamine's rows all have the sheet's width: one object matrix, a column at a time.
    body = np.array(rows[1:], dtype=object).reshape(len(rows) - 1, len(header))
    # Non-empty rows only; a row's number is its place in the sheet (row 1 is the header).
    kept = ~(pd.isna(body) | (body == "")).all(axis=1)
    lines = np.arange(2, len(rows) + 1, dtype=np.int64)[kept]
    body = body[kept]
    typed = pa.table({h: _cells_array(body[:, header.index(h)]) for h in contract.headers})
    frame = _text_table(typed, contract.headers)
    return Cells(frame, lines, _no_rejects(), ISO, origin)


# How long a read waits for a SQLite database a writer has locked before it counts as
# unavailable (and the extract is retried later).
SQLITE_BUSY_SECONDS = 5


def _engine(url: str):
    """An engine for the URL; a SQLite file is opened read-only (and never created)."""
    import sqlalchemy as sa

    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return sa.create_engine(url)
    uri = Path(parsed.database).resolve().as_uri() + "?mode=ro"
    return sa.create_engine(
        "sqlite://", creator=lambda: sqlite3.connect(uri, uri=True, timeout=SQLITE_BUSY_SECONDS)
    )


FETCH_ROWS = 100_000  # database rows turned into Arrow columns at a time
BINARY = (bytes, bytearray, memoryview)  # a BLOB's value, as the drivers return it


def _db_array(values: tuple) -> pa.Array:
    """One column of a database table as Arrow: text, numbers and booleans as they come;
    dates and times as ISO text, as SQLite holds them, so a query compares them the same way
    from any database; a column of mixed types (SQLite allows that) as to_text's text, but
    one with a binary value as binary (_fetch_table refuses it)."""
    try:
        array = pa.array(values)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        if any(isinstance(v, BINARY) for v in values):  # refused if the query reads it
            return pa.array([v if isinstance(v, BINARY) else None for v in values], pa.binary())
        return pa.array([None if v is None else to_text(v) for v in values], pa.string())
    if pa.types.is_date(array.type) or pa.types.is_timestamp(array.type):
        return array.cast(pa.string())
    return array


def _db_column(chunks: list[pa.Array]) -> pa.ChunkedArray:
    """A column fetched in chunks, as one type: all-null chunks take the others' type,
    whole numbers and fractions become doubles, and any other mixture becomes text."""
    types = {a.type for a in chunks} - {pa.null()}
    if types == {pa.int64(), pa.float64()}:
        try:
            return pa.chunked_array([a.cast(pa.float64()) for a in chunks], pa.float64())
        except pa.ArrowInvalid:  # a whole number beyond a double's 2^53: text, exactly
            pass
    if len(types) > 1:
        texts = [None if v is None else to_text(v) for a in chunks for v in a.to_pylist()]
        return pa.chunked_array([pa.array(texts, pa.string())])
    kind = types.pop() if types else pa.string()
    return pa.chunked_array([a.cast(kind) for a in chunks], kind)


def _fetch_table(con, name: str, query: str, origin: str) -> pa.Table:
    """A whole database table through SQLAlchemy, as Arrow columns. A binary (BLOB) value
    in a column the `query` reads refuses the delivery (SQLite lets any cell hold one)."""
    import sqlalchemy as sa

    query_sql = sa.select(sa.text("*")).select_from(sa.table(name))
    # A server-side cursor where the driver has one (PostgreSQL): rows come in chunks.
    result = con.execution_options(stream_results=True).execute(query_sql)
    names = list(result.keys())
    chunks, binary = [], {}
    for part in result.partitions(FETCH_ROWS):
        columns = list(zip(*part))
        chunks.append([_db_array(c) for c in columns])
        for i, array in enumerate(chunks[-1]):
            if pa.types.is_binary(array.type) and _reads(query, names[i]):
                keys = binary.setdefault(names[i], [])  # named by the table's first column
                keys += [k for k, v in zip(columns[0], columns[i]) if isinstance(v, BINARY)]
    if binary:
        problems = [_binary_problem(name, c, names[0], keys) for c, keys in binary.items()]
        raise DeliveryError(f"{origin}: {'; '.join(problems)}")
    if not chunks:
        return pa.table({n: pa.array([], pa.string()) for n in names})
    return pa.table({n: _db_column([c[i] for c in chunks]) for i, n in enumerate(names)})


def _binary_problem(table: str, column: str, key: str, keys: list) -> str:
    shown = ", ".join(map(repr, keys[:SHOWN_LINES]))
    more = f" and {len(keys) - SHOWN_LINES} more" if len(keys) > SHOWN_LINES else ""
    return (
        f"{table}.{column}: {len(keys)} value(s) stored as binary (BLOB), not as text or a "
        f"number ({key} {shown}{more}); a binary value has no text to check, so the table "
        "is not read"
    )


def _reads(query: str, column: str) -> bool:
    """Whether the query names the column (the contracts' queries name every column they
    read; a column the query does not read may hold anything)."""
    return re.search(rf"\b{re.escape(column)}\b", query, re.IGNORECASE) is not None


def _month_bounds(start: dt.date) -> pa.Table:
    """The `months` relation of one month: its first day and the first day after it, ISO
    text as SQLite compares dates."""
    end = dt.date(start.year + start.month // 12, start.month % 12 + 1, 1)
    return pa.table({"period_start": [start.isoformat()], "period_end": [end.isoformat()]})


def read_sql_months(
    url: str, contract: Contract, periods: list[dt.date]
) -> Iterator[tuple[dt.date, Cells]]:
    """Rows of each month from a database through a SQLAlchemy URL, each month's Cells in
    order (empty ones too).

    Every table the contract's query names is read once, whole, into an in-memory DuckDB;
    the query then runs there once per month with `months` holding that month. An as-of
    query returns each row once for every month it is active in, so reading the tables
    once moves far fewer rows out of the database (tenancies at city scale: 231 k instead
    of 8.4 M). A month's rows are text only until the extract has validated its batch.
    """
    import sqlalchemy as sa

    origin = f"{sa.engine.make_url(url).render_as_string(hide_password=True)} ({contract.entity})"
    if not periods:
        return
    cur = _scratch().cursor()
    try:
        tables = sorted(duckdb.get_table_names(contract.source) - {"months"})
        _copy_tables(url, tables, contract.source, cur, origin)
        _check_query_dates(cur, contract, origin)
        for period in sorted(periods):
            cur.register("months", _month_bounds(period))
            try:
                rows = cur.sql(contract.source).to_arrow_table()
            except duckdb.Error as exc:
                raise DeliveryError(f"{origin}: query failed ({exc})") from None
            _check_headers(origin, rows.column_names, contract)
            frame = _text_table(rows, contract.headers)
            lines = np.arange(1, len(frame) + 1, dtype=np.int64)
            yield period, Cells(frame, lines, _no_rejects(), ISO, origin)
    finally:
        cur.close()


def _copy_tables(
    url: str, names: list[str], query: str, cur: duckdb.DuckDBPyConnection, origin: str
) -> None:
    """The named tables of the database, whole, as temporary tables of `cur` (for `query`)."""
    import sqlalchemy as sa

    try:
        engine = _engine(url)
    except (ImportError, sa.exc.NoSuchModuleError) as exc:
        driver = sa.engine.make_url(url).drivername
        raise DeliveryError(f"{origin}: no database driver {driver} installed ({exc})") from None
    try:
        with engine.connect() as con:
            for name in names:
                cur.register("fetched", _fetch_table(con, name, query, origin))
                cur.execute(f"create temp table {_ident(name)} as select * from fetched")
                cur.unregister("fetched")
    except sa.exc.SQLAlchemyError as exc:
        if _transient_database_error(exc):
            raise SourceUnavailable(f"{origin}: database unavailable ({exc.orig})") from None
        raise DeliveryError(f"{origin}: query failed ({exc.__class__.__name__}: {exc})") from None
    finally:
        engine.dispose()


def _transient_database_error(exc: Exception) -> bool:
    """SQLite's writer lock, still held after its busy wait: a later try may get past it.
    A missing table or a bad query fails the same way every time. (The locked packages
    hold no driver for a database server; one added brings its own refused and lost
    connections to list here.)"""
    import sqlalchemy as sa

    return isinstance(exc, sa.exc.OperationalError) and "database is locked" in str(exc.orig)


# ISO text as the queries compare it: a date, or a date and a time (timestamps).
ISO_DATE_TEXT = r"\d{4}-\d{2}-\d{2}([ T].*)?"
MONTH_START_TEXT = r"\d{4}-\d{2}-01"


def _check_query_dates(cur: duckdb.DuckDBPyConnection, contract: Contract, origin: str) -> None:
    """Refuse the delivery if a date column the query filters on is NULL where needed or not
    ISO text: such a row matches no month, so it would be missing from every delivery and
    from its count of rows read. It cannot be quarantined either: no month is its own."""
    keys = [c.header for c in contract.columns if c.name in contract.key]
    key = ", ".join(f"cast({_ident(k)} as varchar)" for k in keys)
    problems = []
    for date in contract.query_dates:
        value = f"cast({_ident(date.column)} as varchar)"
        form = MONTH_START_TEXT if date.month_start else ISO_DATE_TEXT
        wrong = (
            f"{value} is not null and (not regexp_full_match({value}, '{form}') "
            f"or try_cast(left({value}, 10) as date) is null)"
        )
        missing = f"{value} is null"
        if date.required_with:
            missing += f" and {_ident(date.required_with)} is not null"
        elif date.nullable:
            missing = "false"
        try:
            bad = cur.sql(
                f"select concat_ws('/', {key}) as k, {value}, count(*) over () "
                f"from {_ident(date.table)} where ({missing}) or ({wrong}) "
                f"order by k limit {SHOWN_LINES}"
            ).fetchall()
        except duckdb.Error as exc:
            raise DeliveryError(f"{origin}: query failed ({exc})") from None
        if bad:
            problems.append(_query_date_problem(date, "/".join(keys), bad))
    if problems:
        raise DeliveryError(f"{origin}: {'; '.join(problems)}")


def _query_date_problem(date: QueryDate, keys: str, bad: list[tuple]) -> str:
    count = bad[0][2]
    form = "an ISO first day of a month (YYYY-MM-01)" if date.month_start else "an ISO date"
    if date.required_with:
        what = f"not {form}, or NULL beside a {date.required_with}"
    else:
        what = f"not {form}" if date.nullable else f"NULL or not {form}"
    shown = ", ".join(f"{k} {'NULL' if v is None else repr(v)}" for k, v, _ in bad)
    more = f" and {count - len(bad)} more" if count > len(bad) else ""
    return (
        f"{date.table}.{date.column}: {count} row(s) {what} ({keys} {shown}{more}); the query "
        "compares it as ISO text, so these rows would be in no month's delivery"
    )


def read_sql(url: str, contract: Contract, period: dt.date) -> Cells:
    """Rows of one month from a database (read_sql_months of that month alone)."""
    [(_, cells)] = read_sql_months(url, contract, [period])
    return cells


def read_geojson(path: Path, contract: Contract) -> Cells:
    """A GeoJSON FeatureCollection: properties are columns, the geometry is kept as JSON."""
    origin = str(path)
    try:
        collection = load_json(decode(path.read_bytes(), origin)[0])
    except OSError as exc:
        raise DeliveryError(f"{origin}: cannot be read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise DeliveryError(f"{origin}: not JSON ({exc.msg} at position {exc.pos})") from None
    if not isinstance(collection, dict) or collection.get("type") != "FeatureCollection":
        raise DeliveryError(f"{origin}: not a GeoJSON FeatureCollection")
    if twice := sorted(collection.repeated & {"type", "features"}):
        raise DeliveryError(f"{origin}: {', '.join(twice)} given more than once")
    # A collection without its list is a broken export, not a month without areas
    # (an empty list is one).
    features = collection.get("features")
    if not isinstance(features, list):
        raise DeliveryError(f"{origin}: no 'features' list")
    rows, lines, rejected, found = [], [], [], set()
    kinds = {c.header: c.kind for c in contract.columns}
    for n, feature in enumerate(features, start=1):
        if not isinstance(feature, dict):
            raise DeliveryError(f"{origin}: feature {n} is not an object")
        properties = feature.get("properties") or {}
        if not isinstance(properties, dict):
            raise DeliveryError(f"{origin}: feature {n}: 'properties' is not an object")
        cells = {k: json_text(v, kinds.get(k)) for k, v in properties.items()}
        geometry = feature.get("geometry")
        cells["geometri"] = json.dumps(geometry) if geometry else ""  # none: a missing value
        found.update(cells)
        unjudged = json_value_problem(properties, contract)
        problem = _geometry_problem(geometry) if geometry else None
        if unjudged:  # the feature is quarantined, numbered like the loaded ones
            rejected.append((n, *unjudged))
        elif feature.repeated or repeats_a_key(geometry):  # the last would load silently
            rejected.append((n, "", "", "key given more than once in the feature"))
        elif problem:
            rejected.append((n, "geometri", cells["geometri"], problem))
        else:
            rows.append(cells)
            lines.append(n)
    if features:
        _check_headers(origin, sorted(found), contract)
    frame = pd.DataFrame(
        [[r.get(h, "") for h in contract.headers] for r in rows],
        columns=contract.headers,
        dtype=str,
    )
    return Cells(
        frame,
        np.array(lines, dtype=np.int64),
        pd.DataFrame(rejected, columns=QUARANTINE_COLUMNS),
        ISO,
        origin,
    )


class JsonObject(dict):
    """A JSON object that remembers its keys given more than once (json keeps the last)."""

    repeated: frozenset[str] = frozenset()


def _json_object(pairs: list[tuple[str, object]]) -> JsonObject:
    record = JsonObject(pairs)
    if len(record) < len(pairs):
        keys = [key for key, _ in pairs]
        record.repeated = frozenset(k for k in record if keys.count(k) > 1)
    return record


def load_json(text: str | bytes) -> object:
    """JSON whose objects are `JsonObject`s, for `json_value_problem`, and whose numbers
    with a fraction or an exponent are `JsonNumber`s."""
    return json.loads(text, object_pairs_hook=_json_object, parse_float=JsonNumber)


def json_value_problem(record: dict, contract: Contract) -> tuple[str, str, str] | None:
    """(column, value shown, reason) of the first contract column whose JSON value the
    validator cannot judge from its text: an object or a list (to_text would spell
    Python's repr of it), a key given twice (which value holds is a guess), true or false
    in a column that is not yes/no (to_text spells it 'ja'), a number beyond a double
    (1e400 parses as infinity) or NaN (read as empty), or text with a lone surrogate
    ('\\ud800' is JSON, but no Unicode text)."""
    repeated = getattr(record, "repeated", frozenset())
    for column in contract.columns:
        value = record.get(column.header)
        if isinstance(value, str) and not _unicode(value):
            return column.header, "", "text with a lone surrogate, not Unicode"
        shown = json.dumps(value, ensure_ascii=False)
        if column.kind == "cpr":
            shown = "<redacted>"
        if column.header in repeated:
            return column.header, "", "key given more than once in the object"
        if isinstance(value, dict | list):
            kind = "object" if isinstance(value, dict) else "list"
            return column.header, shown, f"a JSON {kind}, not a single value"
        if isinstance(value, bool) and column.kind != "yes_no":
            return column.header, shown, f"JSON {shown} in a column that is not yes/no"
        if isinstance(value, float) and not math.isfinite(value):
            return column.header, "", "not a finite number (beyond a double's range, or NaN)"
    return None


def _unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def repeats_a_key(value: object) -> bool:
    """Whether an object anywhere in `value` (`load_json`'s) gives a key more than once."""
    if isinstance(value, dict):
        return bool(getattr(value, "repeated", None)) or any(map(repeats_a_key, value.values()))
    return isinstance(value, list) and any(map(repeats_a_key, value))


# EPSG:25832 (ETRS89 / UTM zone 32N) in Denmark, the addresses' x and y ranges
# (sources/population.py): longitude and latitude in degrees, or another projection's
# metres, fall outside.
EASTING = (400_000, 900_000)
NORTHING = (6_000_000, 6_450_000)


def _is_position(value: object) -> bool:
    return (
        isinstance(value, list)
        and len(value) in (2, 3)
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    )


def _geometry_problem(geometry: object) -> str | None:
    """Why a geometry is not a Polygon or MultiPolygon of closed rings of at least four
    positions in EPSG:25832 in Denmark; None when it is one. The marts and the dashboard's
    map take the area polygons as they are."""
    kind = geometry.get("type") if isinstance(geometry, dict) else None
    if kind not in ("Polygon", "MultiPolygon"):
        return f"geometry type {kind}, expected Polygon or MultiPolygon"
    coordinates = geometry.get("coordinates")
    polygons = [coordinates] if kind == "Polygon" else coordinates
    if not isinstance(polygons, list) or not polygons:
        return "no polygon in the coordinates"
    for polygon in polygons:
        if not isinstance(polygon, list) or not polygon:
            return "a polygon is not a list of rings"
        for ring in polygon:
            if not isinstance(ring, list) or not all(_is_position(p) for p in ring):
                return "a ring is not a list of [x, y] positions"
            if len(ring) < 4:
                return f"a ring of {len(ring)} positions, at least 4"
            if ring[0] != ring[-1]:
                return "a ring not closed: its last position is not its first"
            for x, y, *_ in ring:
                if not (EASTING[0] <= x <= EASTING[1] and NORTHING[0] <= y <= NORTHING[1]):
                    return (
                        f"position [{x}, {y}] outside EPSG:25832 in Denmark (easting "
                        f"{EASTING[0]}-{EASTING[1]}, northing {NORTHING[0]}-{NORTHING[1]})"
                    )
    return None
