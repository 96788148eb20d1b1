"""Write the synthetic deliveries in the forms the real systems use."""

import datetime as dt
import json
import sqlite3
from pathlib import Path

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


def write_xlsx(path: Path, frame: pd.DataFrame, contract: Contract) -> None:
    from openpyxl import Workbook

    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Fravær")
    sheet.append(contract.headers)
    for row in frame[contract.headers].itertuples(index=False):
        sheet.append([_python(v) for v in row])
    workbook.save(path)


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


HOUSING_SCHEMA = """
create table lejemaal (lejemaal_id text primary key, adresse_id text not null,
    indflytningsdato date not null, fraflytningsdato date, udlejningskanal text not null);
create index lejemaal_datoer on lejemaal (indflytningsdato, fraflytningsdato);
create table ledige_boliger (maaned date not null, adresse_id text not null, ledig_siden date);
create index ledige_maaned on ledige_boliger (maaned);
create table klagesager (sag_id text primary key, adresse_id text not null, oprettet date not null,
    kategori text not null);
create table udsaettelser (sag_id text primary key, adresse_id text not null,
    udsaettelsesdato date not null);
"""


def write_housing_db(path: Path, tables: dict[str, pd.DataFrame]) -> None:
    """The housing allocation system as a SQLite database (dates as ISO text)."""
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
