"""The fast path of the CSV reader: DuckDB's CSV reader, for files it reads exactly.

The line loop in sources/readers.py is the reference: it names every bad line. This path
takes a file only when a cheap scan of its bytes proves that loop would load every line
after the header as one row: no quotes, no blank lines, no lone CR, the same number of
`;` on every line. Then row i is physical line i + 2, and DuckDB (strict, every column
VARCHAR, nothing sniffed) splits the fields in parallel into Arrow columns that the
validator scans without a pandas copy. Any other file returns None and takes the loop.
"""

import os
import re
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from sources.duckdb_limits import MEMORY_ENV, THREADS_ENV

LF, SEMICOLON = 10, 59
# cp1252 and latin-1 differ only in bytes 0x80-0x9F (cp1252's €, curly quotes, dashes ...).
CP1252_ONLY = re.compile(rb"[\x80-\x9f]")


def _duckdb_encoding(raw: bytes, encoding: str) -> str | None:
    if encoding in ("utf-8", "utf-8-sig"):
        return "utf-8"
    if encoding == "cp1252" and not CP1252_ONLY.search(raw):
        return "latin-1"
    return None


def _plain_rows(raw: bytes, width: int) -> int | None:
    """The number of data lines if each holds exactly width - 1 `;` and nothing else
    would make the line loop refuse, skip or split it; else None."""
    if width < 2 or b'"' in raw:
        return None
    crs = raw.count(b"\r")
    if crs and crs != raw.count(b"\r\n"):
        return None  # a CR that is not part of a CRLF line end
    data = np.frombuffer(raw, dtype=np.uint8)
    ends = np.flatnonzero(data == LF)
    starts = np.concatenate(([0], ends + 1))
    stops = np.concatenate((ends, [len(data)]))
    if starts[-1] == len(data):  # the last line has its line end
        starts, stops = starts[:-1], stops[:-1]
    semicolons = np.flatnonzero(data == SEMICOLON)
    counts = np.searchsorted(semicolons, stops) - np.searchsorted(semicolons, starts)
    rows = counts[1:]
    if len(rows) == 0 or not (rows == width - 1).all():
        return None  # a blank line or a wrong field count: the loop names it
    return len(rows)


_reader: duckdb.DuckDBPyConnection | None = None


def _cursor() -> duckdb.DuckDBPyConnection:
    """A cursor on one in-memory database per process: a new database costs 20-70 ms."""
    global _reader
    if _reader is None:
        config = {"threads": int(os.environ.get(THREADS_ENV) or os.cpu_count() or 1)}
        if os.environ.get(MEMORY_ENV):
            config["memory_limit"] = os.environ[MEMORY_ENV]
        _reader = duckdb.connect(config=config)
    return _reader.cursor()


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def read(
    path: Path, raw: bytes, encoding: str, header: list[str], wanted: list[str]
) -> tuple[pa.Table, np.ndarray] | None:
    """The `wanted` columns as Arrow text (empty cells as '') and their line numbers."""
    duckdb_encoding = _duckdb_encoding(raw, encoding)
    rows = _plain_rows(raw, len(header)) if duckdb_encoding else None
    if rows is None:
        return None
    columns = ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header)))
    selects = ", ".join(f"coalesce(c{header.index(h)}, '') as \"{h}\"" for h in wanted)
    query = (
        f"select {selects} from read_csv({_quote(str(path))}, delim = ';', quote = '', "
        f"escape = '', header = false, skip = 1, columns = {{{columns}}}, "
        f"auto_detect = false, strict_mode = true, encoding = '{duckdb_encoding}')"
    )
    con = _cursor()
    try:
        table = con.sql(query).to_arrow_table()
    except duckdb.Error:
        return None
    finally:
        con.close()
    if table.num_rows != rows:
        return None
    return table, np.arange(2, rows + 2, dtype=np.int64)
