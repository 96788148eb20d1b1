"""The fast path of the CSV reader: DuckDB's CSV reader, for files it reads exactly.

The line loop in sources/readers.py is the reference: it names every bad line. This path
takes a file only when DuckDB's reader (strict, every column VARCHAR, nothing sniffed, no
quote character) proves that loop would load every line after the header as one row: no
quotes, no lone CR (cheap byte checks), no line with the wrong number of fields (strict
mode fails), as many separators as the header's on every line (DuckDB ignores
trailing ones), as many rows as lines (no blank line skipped). Then row i is physical line
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
CR, LF, SEPARATOR = ord("\r"), ord("\n"), ord(";")


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
    # A last line without a line end may be cut short: the loop quarantines it.
    if width < 2 or b'"' in raw or not raw.endswith(b"\n"):
        return None
    data = _bytes(raw)
    if b"\r" in raw:
        crs = np.flatnonzero(data == CR)
        if crs[-1] == len(data) - 1 or (data[crs + 1] != LF).any():
            return None  # a CR that is not part of a CRLF line end
    lines = int(np.count_nonzero(data == LF))
    # DuckDB ignores separators after a line's last field ('1;2;3;;' is three fields), the
    # loop refuses them: every line, the header too, has exactly width - 1 (strict mode
    # fails a line with fewer, so one with more cannot hide behind it in the total).
    if np.count_nonzero(data == SEPARATOR) != (width - 1) * lines:
        return None
    return lines - 1 or None


def control_free(raw: bytes) -> bool:
    """Whether no cell of a file the fast path took can hold a control character, so the
    validator need not look for one cell by cell (a regex per text cell).

    Line ends are the only CR and LF left in a taken file (`_plain_rows`); a latin-1 read
    has no byte 0x80-0x9F (`_duckdb_encoding`), so C1 characters are possible in UTF-8 only.
    """
    # sources/validate.py's CONTROL in ASCII: the C0 controls (but the line ends) and DEL.
    data = _bytes(raw)
    line_ends = np.count_nonzero(data == LF) + np.count_nonzero(data == CR)
    if np.count_nonzero(data < 0x20) != line_ends or b"\x7f" in raw:
        return False
    # U+0080-U+009F in UTF-8: 0xC2 and a byte 0x80-0x9F.
    return b"\xc2" not in raw or not _followed_by(data, 0xC2, 0x80, 0x9F)


# DuckDB's trim removes Unicode's space separators (category Zs): besides the ASCII space,
# U+00A0, U+1680, U+2000-U+200A, U+202F, U+205F and U+3000 in UTF-8; cp1252 has only the
# no-break space (0xA0).
UTF8_SPACES = re.compile(
    rb"\xc2\xa0|\xe1\x9a\x80|\xe2\x80[\x80-\x8a\xaf]|\xe2\x81\x9f|\xe3\x80\x80"
)
UTF8_SPACE_LEADS = (b"\xc2", b"\xe1", b"\xe2", b"\xe3")  # their first bytes


def trimmed(raw: bytes, encoding: str) -> bool:
    """Whether no cell of a file the fast path took starts or ends with a character
    DuckDB's trim removes, so the validator need not trim each cell (a new string each).

    A cell starts after ';' or a line end and ends before ';' or a line end (a taken
    file's only CRs end lines: `_plain_rows`); an ASCII space is looked for there, the
    other spaces anywhere in a file that is not ASCII.
    """
    if raw.endswith(b" "):
        return False
    if b" " in raw:
        data = _bytes(raw)
        spaces = np.flatnonzero(data == ord(" "))
        before = data[spaces[spaces > 0] - 1]
        after = data[spaces + 1]  # a space is never the last byte (above)
        if np.isin(before, (SEPARATOR, LF)).any() or np.isin(after, (SEPARATOR, CR, LF)).any():
            return False
    if raw.isascii():
        return True
    if encoding == "cp1252":
        return b"\xa0" not in raw
    # The regex scans slowly; most text beyond ASCII (æ, ø, å: 0xC3 ...) has none of the
    # spaces' first bytes, which a byte search rules out at memory speed.
    return not any(lead in raw for lead in UTF8_SPACE_LEADS) or not UTF8_SPACES.search(raw)


def _bytes(raw: bytes) -> np.ndarray:
    """The file's bytes as an array, without a copy, for the checks' vectorised passes
    (with bytes' own `count`, `translate` and two-byte searches they took 0.3 s of a
    city month's residents; now 0.07 s)."""
    return np.frombuffer(raw, dtype=np.uint8)


def _followed_by(data: np.ndarray, lead: int, low: int, high: int) -> bool:
    """Whether byte `lead` is anywhere followed by a byte from `low` to `high`."""
    leads = np.flatnonzero(data[:-1] == lead)
    after = data[leads + 1]
    return bool(((after >= low) & (after <= high)).any())


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
    if not _unchanged(path, raw):
        return None
    return table, np.arange(2, rows + 2, dtype=np.int64)


def _unchanged(path: Path, raw: bytes) -> bool:
    """Whether the file still holds the bytes the checks above read. DuckDB reads the
    file again, so a delivery replaced in between would load unchecked; then the line
    loop parses the bytes checked. (From the page cache, 0.65 ms a MB: 2.5 s of a `city`
    full build's 3.8 GB.)"""
    try:
        return path.read_bytes() == raw
    except OSError:
        return False
