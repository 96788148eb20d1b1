"""The fast path of the CSV reader: DuckDB's CSV reader, for files it reads exactly.

The line loop in sources/readers.py is the reference: it names every bad line. This path
takes a file only when DuckDB's reader (strict, every column VARCHAR, nothing sniffed, no
quote character) proves that loop would load every line after the header as one row: no
quotes, no lone CR (cheap byte checks), no line with the wrong number of fields (strict
mode fails), as many rows as lines (no blank line skipped). Then row i is physical line
i + 2, and the fields come as Arrow columns the validator scans without a pandas copy.
Anything else returns None and takes the loop.
"""

import re
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from sources import duckdb_limits

# cp1252 and latin-1 differ only in bytes 0x80-0x9F (cp1252's €, curly quotes, dashes ...).
CP1252_ONLY = bytes(range(0x80, 0xA0))
# C0 controls but the line end, and DEL: the bytes of sources/validate.py's CONTROL in ASCII.
CONTROL_BYTES = bytes([*range(0x0A), *range(0x0B, 0x0D), *range(0x0E, 0x20), 0x7F])
UTF8_C1 = re.compile(rb"\xc2[\x80-\x9f]")  # U+0080-U+009F in UTF-8


def _duckdb_encoding(raw: bytes, encoding: str) -> str | None:
    if encoding in ("utf-8", "utf-8-sig"):
        return "utf-8"
    if encoding == "cp1252" and len(raw.translate(None, CP1252_ONLY)) == len(raw):
        return "latin-1"
    return None


def _plain_rows(raw: bytes, width: int) -> int | None:
    """The number of data lines if nothing but a wrong field count could make the line
    loop refuse, skip or split one of them; else None.

    Field counts are DuckDB's to check (strict mode fails on a wrong one), and a line it
    skipped would show as fewer rows than lines: each line yields at most one row.
    """
    if width < 2 or b'"' in raw:
        return None
    crs = raw.count(b"\r")
    if crs and crs != raw.count(b"\r\n"):
        return None  # a CR that is not part of a CRLF line end
    lines = raw.count(b"\n") + (not raw.endswith(b"\n"))
    return lines - 1 or None


def control_free(raw: bytes) -> bool:
    """Whether no cell of a file the fast path took can hold a control character, so the
    validator need not look for one cell by cell (a regex per text cell).

    Line ends are the only CR and LF left in a taken file (`_plain_rows`); a latin-1 read
    has no byte 0x80-0x9F (`_duckdb_encoding`), so C1 characters are possible in UTF-8 only.
    """
    return len(raw.translate(None, CONTROL_BYTES)) == len(raw) and not UTF8_C1.search(raw)


# DuckDB's trim removes Unicode's space separators (category Zs): besides the ASCII space,
# U+00A0, U+1680, U+2000-U+200A, U+202F, U+205F and U+3000 in UTF-8; cp1252 has only the
# no-break space (0xA0).
UTF8_SPACES = re.compile(
    rb"\xc2\xa0|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xaf]|\xe2\x81\x9f|\xe3\x80\x80"
)


def trimmed(raw: bytes, encoding: str) -> bool:
    """Whether no cell of a file the fast path took starts or ends with a character
    DuckDB's trim removes, so the validator need not trim each cell (a new string each).

    A cell starts after ';' or a line end and ends before ';' or a line end (a taken
    file's only CRs end lines: `_plain_rows`); an ASCII space is looked for there, the
    other spaces anywhere in a file that is not ASCII.
    """
    edges = (b"; ", b"\n ", b" ;", b" \r", b" \n")
    if raw.endswith(b" ") or any(edge in raw for edge in edges):
        return False
    if raw.isascii():
        return True
    return b"\xa0" not in raw if encoding == "cp1252" else not UTF8_SPACES.search(raw)


_reader: duckdb.DuckDBPyConnection | None = None


def _cursor() -> duckdb.DuckDBPyConnection:
    """A cursor on one in-memory database per process: a new database costs 20-70 ms."""
    global _reader
    if _reader is None:  # the extract's memory limit and threads; nothing here spills
        limits = duckdb_limits.settings("")
        _reader = duckdb.connect(
            config={"memory_limit": limits["memory_limit"], "threads": int(limits["threads"])}
        )
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
    if table.num_rows != rows:  # a blank line DuckDB skipped: the loop names it
        return None
    return table, np.arange(2, rows + 2, dtype=np.int64)
