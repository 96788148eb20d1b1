"""Write the synthetic deliveries in the forms the real systems use."""

import datetime as dt
import json
import sqlite3
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from sources.contracts import Contract


def _danish_text(frame: pd.DataFrame, contract: Contract) -> pd.DataFrame:
    out = pd.DataFrame(index=frame.index)
    for column in contract.columns:
        values = frame[column.header]
        if column.kind == "date":
            dates = pd.to_datetime(values)
            text = dates.dt.strftime("%d-%m-%Y").fillna("")
        elif column.kind == "decimal":
            text = values.map(
                lambda v: "" if pd.isna(v) else np.format_float_positional(v, trim="-")
            ).str.replace(".", ",", regex=False)
        elif column.kind == "yes_no":
            text = values.map({True: "ja", False: "nej"}).fillna("")
        else:
            text = values.astype(object).where(values.notna(), "").astype(str)
        out[column.header] = text
    return out


def render_csv(frame: pd.DataFrame, contract: Contract, encoding: str) -> bytes:
    """`;`-separated, decimal comma, dd-mm-yyyy, CRLF: as Danish systems export."""
    text = _danish_text(frame, contract).to_csv(sep=";", index=False, lineterminator="\r\n")
    return text.encode(encoding)


def write_csv(path: Path, frame: pd.DataFrame, contract: Contract, encoding: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(render_csv(frame, contract, encoding))


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


def write_xlsx(path: Path, frame: pd.DataFrame, contract: Contract) -> None:
    """A minimal Office Open XML workbook, one sheet, header in row 1.

    Written directly (openpyxl's writer is ~20x slower at city scale); numbers as numbers,
    everything else as inline text, which is how many case systems export.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = ["<row>" + "".join(_xlsx_cell(h) for h in contract.headers) + "</row>"]
    rows += [
        "<row>" + "".join(_xlsx_cell(v) for v in row) + "</row>"
        for row in frame[contract.headers].itertuples(index=False)
    ]
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


def write_json(path: Path, frame: pd.DataFrame) -> None:
    """Records as the health system's API returns them (ISO dates, JSON booleans)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    records = []
    for row in frame.itertuples(index=False):
        record = {}
        for name, value in zip(frame.columns, row):
            value = _python(value)
            record[name] = value.isoformat() if isinstance(value, dt.date) else value
        records.append(record)
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
            rows = [[_python(v) for v in row] for row in frame.itertuples(index=False)]
            rows = [[v.isoformat() if isinstance(v, dt.date) else v for v in r] for r in rows]
            marks = ", ".join("?" * len(frame.columns))
            con.executemany(
                f"insert into {name} ({', '.join(frame.columns)}) values ({marks})", rows
            )
    con.close()
