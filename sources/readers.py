"""Readers for the forms source systems deliver in: Danish CSV, Excel, SQL and a JSON API.

Each reader returns the rows as text cells with their line (or record) number, so one
vectorised validator (sources/validate.py) applies the contract to every format. A
delivery that cannot be read at all raises DeliveryError naming where and what.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import sqlite3
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sources.contracts import Contract
from sources.validate import DANISH, ISO, QUARANTINE_COLUMNS, Dialect

HTTP_TIMEOUT_SECONDS = 30


class DeliveryError(Exception):
    """A delivery that cannot be parsed at all; nothing of it is loaded."""


@dataclass
class Cells:
    frame: pd.DataFrame  # one text column per contract header
    lines: np.ndarray  # line or record number of each row
    rejected: pd.DataFrame  # rows refused before validation (wrong field count)
    dialect: Dialect
    origin: str  # file, URL or table, for messages and lineage
    encoding: str | None = None


def _no_rejects() -> pd.DataFrame:
    return pd.DataFrame(columns=QUARANTINE_COLUMNS)


def _check_headers(origin: str, found: list[str], contract: Contract) -> None:
    missing = [h for h in contract.headers if h not in found]
    if missing:
        raise DeliveryError(f"{origin}: missing required column(s) {', '.join(missing)}")


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


def decode(raw: bytes, origin: str) -> tuple[str, str]:
    """UTF-8 (with or without BOM), else cp1252; never guess silently beyond that."""
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
            f"{origin}: unknown encoding (neither UTF-8 nor cp1252; byte {exc.start})"
        ) from None


def _line_fields(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Per physical line: the number of ';' and whether it is blank (vectorised scan)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    newlines = np.flatnonzero(arr == 10)
    starts = np.concatenate([[0], newlines + 1])
    ends = np.concatenate([newlines, [len(arr)]])
    separators = np.flatnonzero(arr == 59)
    counts = np.searchsorted(separators, ends) - np.searchsorted(separators, starts)
    blank = (ends - starts) - (arr[np.maximum(ends - 1, 0)] == 13) * (ends > starts) <= 0
    return counts, blank


def read_csv(path: Path, contract: Contract) -> Cells:
    """A `;`-separated Danish CSV export."""
    origin = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DeliveryError(f"{origin}: cannot be read ({exc.strerror})") from None
    text, encoding = decode(raw, origin)
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise DeliveryError(f"{origin}: empty file, no header line")
    header = [h.strip() for h in next(csv.reader([first_line], delimiter=";"))]
    if len(header) == 1 and len(contract.columns) > 1:
        raise DeliveryError(f"{origin}: line 1 has one column; the separator must be ';'")
    _check_headers(origin, header, contract)
    width = len(header)
    if '"' in text:  # quoted fields may hold ';' or line ends: parse exactly, row by row
        return _read_csv_exact(text, header, contract, origin, encoding)
    data = text.encode("utf-8")
    counts, blank = _line_fields(data)
    lines = np.arange(1, len(counts) + 1)
    body = ~blank & (lines > 1)
    if not text.endswith(("\n", "\r")) and body[-1] and counts[-1] + 1 < width:
        raise DeliveryError(
            f"{origin}: truncated: line {len(counts)} ends mid-row "
            f"({counts[-1] + 1} of {width} fields, no line end)"
        )
    bad = body & (counts + 1 != width)
    rejected = pd.DataFrame(
        {
            "line": lines[bad],
            "column_name": "",
            "value": "",
            "reason": [f"{c + 1} fields, expected {width}" for c in counts[bad]],
        }
    )
    frame = pd.read_csv(
        io.BytesIO(data),
        sep=";",
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skiprows=set(np.flatnonzero(~body | bad)[1:].tolist()),
        quoting=csv.QUOTE_NONE,
        engine="c",
    )
    frame.columns = [c.strip() for c in frame.columns]
    good = lines[body & ~bad]
    return Cells(frame[contract.headers], good.astype(np.int64), rejected, DANISH, origin, encoding)


def _read_csv_exact(
    text: str, header: list[str], contract: Contract, origin: str, encoding: str
) -> Cells:
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    width = len(header)
    if not text.endswith(("\n", "\r")) and len(rows) > 1 and len(rows[-1]) < width:
        raise DeliveryError(
            f"{origin}: truncated: line {len(rows)} ends mid-row "
            f"({len(rows[-1])} of {width} fields, no line end)"
        )
    numbered = [(n, r) for n, r in enumerate(rows[1:], start=2) if r and any(f.strip() for f in r)]
    good = [(n, r) for n, r in numbered if len(r) == width]
    rejected = pd.DataFrame(
        [(n, "", "", f"{len(r)} fields, expected {width}") for n, r in numbered if len(r) != width],
        columns=QUARANTINE_COLUMNS,
    )
    frame = pd.DataFrame([r for _, r in good], columns=header, dtype=str)
    return Cells(
        frame[contract.headers],
        np.array([n for n, _ in good], dtype=np.int64),
        rejected,
        DANISH,
        origin,
        encoding,
    )


def read_xlsx(path: Path, contract: Contract) -> Cells:
    """The first sheet of an Excel workbook; row 1 holds the headers."""
    from python_calamine import CalamineWorkbook

    origin = str(path)
    try:
        rows = (
            CalamineWorkbook.from_path(str(path))
            .get_sheet_by_index(0)
            .to_python(skip_empty_area=False)
        )
    except Exception as exc:  # calamine raises its own error types for a broken file
        raise DeliveryError(f"{origin}: not a readable .xlsx workbook ({exc})") from None
    if not rows:
        raise DeliveryError(f"{origin}: empty sheet, no header row")
    header = [to_text(h).strip() for h in rows[0]]
    _check_headers(origin, header, contract)
    positions = [header.index(h) for h in contract.headers]
    lines, data = [], []
    for n, row in enumerate(rows[1:], start=2):
        if all(v in ("", None) for v in row):
            continue
        lines.append(n)
        data.append([to_text(row[p]) if p < len(row) else "" for p in positions])
    frame = pd.DataFrame(data, columns=contract.headers, dtype=str)
    return Cells(frame, np.array(lines, dtype=np.int64), _no_rejects(), ISO, origin)


def _engine(url: str):
    """An engine for the URL; a SQLite file is opened read-only (and never created)."""
    import sqlalchemy as sa

    parsed = sa.engine.make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return sa.create_engine(url)
    uri = Path(parsed.database).resolve().as_uri() + "?mode=ro"
    return sa.create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True))


def read_sql(url: str, contract: Contract, period: dt.date) -> Cells:
    """Rows of one month from a database, through a SQLAlchemy connection URL.

    The query gets the month as bound parameters :period_start and :period_end.
    """
    import sqlalchemy as sa

    origin = f"{sa.engine.make_url(url).render_as_string(hide_password=True)} ({contract.entity})"
    end = dt.date(period.year + period.month // 12, period.month % 12 + 1, 1)
    engine = _engine(url)
    try:
        with engine.connect() as con:
            result = con.execute(
                sa.text(contract.source), {"period_start": period, "period_end": end}
            )
            header = list(result.keys())
            _check_headers(origin, header, contract)
            rows = [tuple(row) for row in result.fetchall()]  # plain tuples build frames fast
    except sa.exc.SQLAlchemyError as exc:
        raise DeliveryError(f"{origin}: query failed ({exc.__class__.__name__}: {exc})") from None
    finally:
        engine.dispose()
    frame = pd.DataFrame(rows, columns=header, dtype=object)[contract.headers]
    for name in contract.headers:  # text stays text; dates, numbers and booleans become text
        if pd.api.types.infer_dtype(frame[name], skipna=True) not in ("string", "empty"):
            frame[name] = frame[name].map(to_text)
    frame = frame.fillna("")
    return Cells(frame, np.arange(1, len(rows) + 1, dtype=np.int64), _no_rejects(), ISO, origin)


def _get_json(url: str) -> dict:
    try:
        with urllib.request.urlopen(url, timeout=HTTP_TIMEOUT_SECONDS) as response:
            body = response.read()
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"{url}: HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise DeliveryError(f"{url}: cannot connect ({exc.reason})") from None
    try:
        page = json.loads(body)
    except json.JSONDecodeError as exc:
        raise DeliveryError(f"{url}: not JSON ({exc.msg} at position {exc.pos})") from None
    if not isinstance(page, dict) or not isinstance(page.get("items"), list):
        raise DeliveryError(f"{url}: expected an object with an 'items' list")
    return page


def read_http(base_url: str, contract: Contract, period: dt.date) -> Cells:
    """All pages of one month from a JSON API: {"items": [...], "next": url or null}."""
    query = urllib.parse.urlencode({"month": f"{period:%Y-%m}"})
    url: str | None = f"{base_url.rstrip('/')}{contract.source}?{query}"
    origin = url
    items: list[dict] = []
    while url:
        page = _get_json(url)
        items.extend(page["items"])
        url = urllib.parse.urljoin(url, page["next"]) if page.get("next") else None
    if items:
        seen = set().union(*(item.keys() for item in items if isinstance(item, dict)))
        _check_headers(origin, sorted(seen), contract)
    frame = pd.DataFrame(
        [
            [to_text(item.get(h)) if isinstance(item, dict) else "" for h in contract.headers]
            for item in items
        ],
        columns=contract.headers,
        dtype=str,
    )
    return Cells(frame, np.arange(1, len(items) + 1, dtype=np.int64), _no_rejects(), ISO, origin)


def read_geojson(path: Path, contract: Contract) -> Cells:
    """A GeoJSON FeatureCollection: properties are columns, the geometry is kept as JSON."""
    origin = str(path)
    try:
        collection = json.loads(decode(path.read_bytes(), origin)[0])
    except OSError as exc:
        raise DeliveryError(f"{origin}: cannot be read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise DeliveryError(f"{origin}: not JSON ({exc.msg} at position {exc.pos})") from None
    if collection.get("type") != "FeatureCollection":
        raise DeliveryError(f"{origin}: not a GeoJSON FeatureCollection")
    rows = []
    for feature in collection.get("features", []):
        cells = {k: to_text(v) for k, v in (feature.get("properties") or {}).items()}
        geometry = feature.get("geometry")
        cells["geometri"] = json.dumps(geometry) if geometry else ""
        rows.append(cells)
    if rows:
        _check_headers(origin, sorted(set().union(*rows)), contract)
    frame = pd.DataFrame(
        [[r.get(h, "") for h in contract.headers] for r in rows],
        columns=contract.headers,
        dtype=str,
    )
    return Cells(frame, np.arange(1, len(rows) + 1, dtype=np.int64), _no_rejects(), ISO, origin)
