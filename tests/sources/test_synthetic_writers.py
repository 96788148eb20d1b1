"""The synthetic writers' exact bytes, worked out by hand: they render a column at a time
and must write what the per-cell rules (csv module quoting, `_xlsx_cell`) would."""

import datetime as dt
import json
import zipfile

import numpy as np
import pandas as pd

from sources.contracts import Column, Contract
from sources.synthetic import dates, writers
from sources.synthetic.dates import day_text

CONTRACT = Contract(
    "test",
    "rows",
    "csv",
    "rows.csv",
    (
        Column("navn", "name", "text"),
        Column("dato", "day", "date", nullable=True),
        Column("timer", "hours", "decimal", nullable=True, maximum=1e6),
        Column("ja", "yes", "yes_no", nullable=True),
        Column("antal", "count", "int", maximum=1e6),
    ),
    key=("name",),
    description="",
)


def frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "navn": ["Ærø", 'sagt "ja"', "a;b", "linje\nskift", None],
            "dato": [dt.date(1931, 2, 3), None, dt.date(2025, 12, 31), dt.date(2000, 1, 1), None],
            "timer": [1.0, 0.5, np.nan, 37.25, 1e-05],
            "ja": [True, False, None, True, False],
            "antal": [1, 2, 3, 40, 500],
        }
    )


EXPECTED = (
    "navn;dato;timer;ja;antal\r\n"
    "Ærø;03-02-1931;1;ja;1\r\n"
    '"sagt ""ja""";;0,5;nej;2\r\n'
    '"a;b";31-12-2025;;;3\r\n'
    '"linje\nskift";01-01-2000;37,25;ja;40\r\n'
    ";;0,00001;nej;500\r\n"
)


def test_csv_quotes_only_what_needs_it_and_writes_danish_values(tmp_path, monkeypatch):
    monkeypatch.setattr(writers, "CSV_CHUNK_ROWS", 2)  # three chunks: the BOM comes once
    path = tmp_path / "rows.csv"
    writers.write_csv(path, frame(), CONTRACT, "utf-8-sig")
    assert path.read_bytes() == b"\xef\xbb\xbf" + EXPECTED.encode("utf-8")
    writers.write_csv(path, frame(), CONTRACT, "cp1252")
    assert path.read_bytes() == EXPECTED.encode("cp1252")
    assert writers.render_csv(frame(), CONTRACT, "cp1252") == EXPECTED.encode("cp1252")
    # As pandas' to_csv (the csv module) writes the same text.
    text = (
        frame()
        .assign(
            dato=["03-02-1931", "", "31-12-2025", "01-01-2000", ""],
            timer=["1", "0,5", "", "37,25", "0,00001"],
            ja=["ja", "nej", "", "ja", "nej"],
        )
        .fillna("")
    )
    assert text.to_csv(sep=";", index=False, lineterminator="\r\n") == EXPECTED


def test_an_empty_frame_is_the_header_alone(tmp_path):
    path = tmp_path / "rows.csv"
    writers.write_csv(path, frame().iloc[:0], CONTRACT, "utf-8-sig")
    assert path.read_bytes() == b"\xef\xbb\xbfnavn;dato;timer;ja;antal\r\n"


def test_a_single_column_quotes_an_empty_field():
    contract = Contract("t", "one", "csv", "one.csv", (Column("x", "x", "text"),), ("x",), "")
    rows = pd.DataFrame({"x": ["a", ""]})
    assert writers.render_csv(rows, contract, "utf-8") == b'x\r\na\r\n""\r\n'


def test_xlsx_cells_numbers_text_dates_and_blanks(tmp_path):
    contract = Contract(**{**vars(CONTRACT), "fmt": "xlsx", "source": "rows.xlsx"})
    path = tmp_path / "rows.xlsx"
    rows = frame().assign(dato=pd.to_datetime(frame()["dato"]), navn=["a<b", "c", "d", "e", "f"])
    writers.write_xlsx(path, rows, contract)
    sheet = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml").decode()
    first, second = sheet.split("<row>")[2:4]
    assert first == (
        '<c t="inlineStr"><is><t>a&lt;b</t></is></c>'
        '<c t="inlineStr"><is><t>1931-02-03</t></is></c>'
        "<c><v>1.0</v></c>"
        '<c t="inlineStr"><is><t>True</t></is></c>'
        "<c><v>1</v></c></row>"
    )
    assert second.startswith('<c t="inlineStr"><is><t>c</t></is></c><c/><c><v>0.5</v></c>')


def test_json_records_iso_dates_and_nulls(tmp_path):
    path = tmp_path / "r.json"
    rows = frame()[["navn", "dato", "timer", "antal"]].iloc[:2]
    rows["dato"] = pd.to_datetime(rows["dato"])
    writers.write_json(path, rows)
    assert json.loads(path.read_text()) == [
        {"navn": "Ærø", "dato": "1931-02-03", "timer": 1.0, "antal": 1},
        {"navn": 'sagt "ja"', "dato": None, "timer": 0.5, "antal": 2},
    ]


def test_day_text_grows_its_table_both_ways(monkeypatch):
    monkeypatch.setattr(dates, "_TABLES", {})
    # 0 is 1970-01-01, -1 the day before; 2025-01-01 is 55 * 365 + 14 leap days later.
    assert day_text(np.array([0, 1]), "%d%m%y").tolist() == ["010170", "020170"]
    assert day_text(np.array([20_089, -1]), "%d%m%y").tolist() == ["010125", "311269"]
    first, table = dates._TABLES["%d%m%y"]
    assert (first, len(table)) == (-1, 20_091)
    assert day_text(np.array([], dtype=np.int64), "%d%m%y").tolist() == []
