"""Write the synthetic deliveries in the forms the real systems use.

Values become text a column at a time, each distinct date or decimal formatted once and
looked up, not a cell at a time in Python: at `city` scale the per-cell loops were most of
the generator's time. The bytes are those of the per-cell rules (`_python`, `_xlsx_cell`),
which still handle the odd values hand-made test frames hold.
"""

import codecs
import datetime as dt
import json
import sqlite3
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
from pandas.api.types import infer_dtype

from sources.contracts import Contract
from sources.synthetic.dates import day_text

CSV_CHUNK_ROWS = 200_000  # rows rendered at a time, so memory stays flat at national scale
_ASCII_SUPERSETS = {"utf-8", "utf-8-sig", "cp1252"}


def _lookup(keys: np.ndarray, render) -> np.ndarray:
    """render(value) for every value, each distinct value rendered once."""
    distinct, inverse = np.unique(keys, return_inverse=True)
    table = np.empty(len(distinct), dtype=object)
    table[:] = [render(k) for k in distinct]
    return table[inverse.reshape(-1)]


def _day_text(values: pd.Series, fmt: str, missing: object) -> np.ndarray:
    """Dates (dates, datetimes or text pandas parses) as `fmt` text; `missing` for none."""
    days = pd.to_datetime(values).to_numpy(dtype="datetime64[D]")
    known = ~np.isnat(days)
    out = np.full(len(days), missing, dtype=object)
    out[known] = day_text(days[known].astype(np.int64), fmt)
    return out


def _decimal_text(values: pd.Series) -> np.ndarray:
    numbers = values.to_numpy(dtype=np.float64, na_value=np.nan)
    known = ~np.isnan(numbers)
    out = np.full(len(numbers), "", dtype=object)
    out[known] = _lookup(
        numbers[known], lambda v: np.format_float_positional(v, trim="-").replace(".", ",")
    )
    return out


def _plain_text(values: pd.Series) -> list[str]:
    if values.dtype.kind in "iu":
        return [str(v) for v in values.tolist()]
    if isinstance(values.dtype, pd.StringDtype):  # every value is text already
        return values.to_numpy(dtype=object, na_value="").tolist()
    raw = values.to_numpy(dtype=object)
    if infer_dtype(raw, skipna=False) == "string":  # all text, none missing
        return raw.tolist()
    missing = values.isna().to_numpy()
    return ["" if none else v if type(v) is str else str(v) for v, none in zip(raw, missing)]


def _danish_column(values: pd.Series, kind: str) -> list[str]:
    if kind == "date":
        return _day_text(values, "%d-%m-%Y", "").tolist()
    if kind == "decimal":
        return _decimal_text(values).tolist()
    if kind == "yes_no":
        return values.map({True: "ja", False: "nej"}).fillna("").tolist()
    return _plain_text(values)


def _quoted(texts: list[str], single_column: bool) -> list[str]:
    """Quote as the csv module's QUOTE_MINIMAL does (a lone empty field included)."""
    joined = "".join(texts)
    if not any(c in joined for c in ';"\r\n') and not single_column:
        return texts
    return [
        '"' + t.replace('"', '""') + '"'
        if any(c in t for c in ';"\r\n') or (single_column and t == "")
        else t
        for t in texts
    ]


def _csv_chunks(frame: pd.DataFrame, contract: Contract):
    """The CSV text in pieces of at most CSV_CHUNK_ROWS rows, header first."""
    single = len(contract.columns) == 1
    yield ";".join(_quoted(contract.headers, single)) + "\r\n"
    for begin in range(0, len(frame), CSV_CHUNK_ROWS):
        part = frame.iloc[begin : begin + CSV_CHUNK_ROWS]
        columns = [
            _quoted(_danish_column(part[c.header], c.kind), single) for c in contract.columns
        ]
        yield "\r\n".join(map(";".join, zip(*columns))) + "\r\n"


def render_csv(frame: pd.DataFrame, contract: Contract, encoding: str) -> bytes:
    """`;`-separated, decimal comma, dd-mm-yyyy, CRLF: as Danish systems export."""
    return "".join(_csv_chunks(frame, contract)).encode(encoding)


def write_csv(path: Path, frame: pd.DataFrame, contract: Contract, encoding: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    encoder = codecs.getincrementalencoder(encoding)()  # writes a utf-8-sig BOM once
    # ASCII text is the same bytes in these encodings, and cp1252's charmap codec is slow.
    shortcut = codecs.lookup(encoding).name in _ASCII_SUPERSETS
    with path.open("wb") as out:
        for chunk in _csv_chunks(frame, contract):
            fast = shortcut and out.tell() and chunk.isascii()
            out.write(chunk.encode("ascii") if fast else encoder.encode(chunk))


def _python(value: object) -> object:
    if value is None or value is pd.NaT or (isinstance(value, float) and np.isnan(value)):
        return None
    if isinstance(value, np.datetime64):
        return None if np.isnat(value) else pd.Timestamp(value).date()
    if isinstance(value, pd.Timestamp):
        return None if pd.isna(value) else value.date()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _plain_column(values: pd.Series) -> list:
    """A column as JSON / SQLite values: dates as ISO text, missing as None."""
    kind = values.dtype.kind
    if kind == "M":
        return _day_text(values, "%Y-%m-%d", None).tolist()
    if kind in "iub":
        return values.tolist()
    if kind == "f":
        return [None if v != v else v for v in values.tolist()]
    if isinstance(values.dtype, pd.StringDtype):
        return values.to_numpy(dtype=object, na_value=None).tolist()
    plain = [_python(v) for v in values.to_numpy(dtype=object)]
    return [v.isoformat() if isinstance(v, dt.date) else v for v in plain]


_XLSX_PARTS = {
    "[Content_Types].xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        "</Types>"
    ),
    "_rels/.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        "</Relationships>"
    ),
    "xl/workbook.xml": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        '<sheets><sheet name="Fravær" sheetId="1" r:id="rId1"/></sheets></workbook>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        "</Relationships>"
    ),
}


def _xlsx_cell(value: object) -> str:
    value = _python(value)
    if value is None:
        return "<c/>"
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return f"<c><v>{value}</v></c>"
    text = value.isoformat() if isinstance(value, dt.date) else str(value)
    return f'<c t="inlineStr"><is><t>{escape(text)}</t></is></c>'


def _inline(text: str) -> str:
    return f'<c t="inlineStr"><is><t>{text}</t></is></c>'


def _xlsx_column(values: pd.Series) -> list[str]:
    """The column's cells, as `_xlsx_cell` writes them one by one."""
    kind = values.dtype.kind
    if kind in "iu":
        return [f"<c><v>{v}</v></c>" for v in values.tolist()]
    if kind == "f":
        numbers = values.to_numpy()
        known = ~np.isnan(numbers)
        cells = np.full(len(numbers), "<c/>", dtype=object)
        cells[known] = _lookup(numbers[known], lambda v: f"<c><v>{float(v)}</v></c>")
        return cells.tolist()
    if kind == "M":
        return [_inline(t) if t else "<c/>" for t in _day_text(values, "%Y-%m-%d", None)]
    raw = values.to_numpy(dtype=object)
    if infer_dtype(raw, skipna=False) != "string" or any(c in "".join(raw) for c in "&<>"):
        return [_xlsx_cell(v) for v in raw]
    return [_inline(t) for t in raw]


def write_xlsx(path: Path, frame: pd.DataFrame, contract: Contract) -> None:
    """A minimal Office Open XML workbook, one sheet, header in row 1.

    Written directly (openpyxl's writer is ~20x slower at city scale); numbers as numbers,
    everything else as inline text, which is how many case systems export.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = ["<row>" + "".join(_xlsx_cell(h) for h in contract.headers) + "</row>"]
    columns = [_xlsx_column(frame[h]) for h in contract.headers]
    rows += ["<row>" + "".join(cells) + "</row>" for cells in zip(*columns)]
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(rows)}</sheetData></worksheet>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in [*_XLSX_PARTS.items(), ("xl/worksheets/sheet1.xml", sheet)]:
            # A fixed timestamp keeps the file identical for the same seed.
            archive.writestr(
                zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)),
                xml,
                compress_type=zipfile.ZIP_DEFLATED,
            )


def _plain_rows(frame: pd.DataFrame) -> list[tuple]:
    return list(zip(*(_plain_column(frame[c]) for c in frame.columns)))


def write_json(path: Path, frame: pd.DataFrame) -> None:
    """Records as the health system's API returns them (ISO dates, JSON booleans)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    names = list(frame.columns)
    records = [dict(zip(names, row)) for row in _plain_rows(frame)]
    path.write_text(json.dumps(records, ensure_ascii=False))


def write_geojson(path: Path, areas: list[dict], valid_from: dt.date) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    features = [
        {
            "type": "Feature",
            "properties": {
                "boligomraade_id": a["area_id"],
                "navn": a["name"],
                "gyldig_fra": valid_from.isoformat(),
            },
            "geometry": {"type": "Polygon", "coordinates": [a["ring"]]},
        }
        for a in areas
    ]
    path.write_text(
        json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False)
    )


# `registreret` columns: when the system learned of the tenancy, its move-out or the
# eviction, as against the dates they happen on; text 'YYYY-MM-DD HH:MM:SS', which compares
# with ISO dates as text.
HOUSING_SCHEMA = """
create table lejemaal (lejemaal_id text primary key, adresse_id text not null,
    indflytningsdato date not null, fraflytningsdato date, udlejningskanal text not null,
    registreret timestamp not null, fraflytning_registreret timestamp,
    check ((fraflytningsdato is null) = (fraflytning_registreret is null)));
create index lejemaal_datoer on lejemaal (indflytningsdato, fraflytningsdato);
create table ledige_boliger (maaned date not null, adresse_id text not null, ledig_siden date);
create index ledige_maaned on ledige_boliger (maaned);
create table klagesager (sag_id text primary key, adresse_id text not null, oprettet date not null,
    kategori text not null);
create table udsaettelser (sag_id text primary key, adresse_id text not null,
    udsaettelsesdato date not null, registreret timestamp not null);
"""


def write_housing_db(path: Path, tables: dict[str, pd.DataFrame]) -> None:
    """The housing allocation system as a SQLite database (dates as ISO text).

    Timestamps come as text already: a frame's datetime column would lose its time here.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    path.unlink(missing_ok=True)
    with sqlite3.connect(path) as con:
        con.executescript(HOUSING_SCHEMA)
        for name, frame in tables.items():
            rows = _plain_rows(frame)
            marks = ", ".join("?" * len(frame.columns))
            con.executemany(
                f"insert into {name} ({', '.join(frame.columns)}) values ({marks})", rows
            )
    con.close()
