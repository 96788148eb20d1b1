"""Exports neutralise text that a spreadsheet would run as a formula, and keep numbers."""

import datetime as dt
from decimal import Decimal

import pandas as pd
from python_calamine import CalamineWorkbook

from quality.exports import write_csv, write_xlsx

FRAME = pd.DataFrame(
    {
        "area_name": [
            '=HYPERLINK("http://x")',
            "+45 1234",
            "-2+3",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "Æblehaven",
            None,
        ],
        "value": [-3.5, 0.00001, 2.0, None, 1.25, -0.5, 10.0, 0.0],
        "count": [-4, 1, 2, 3, 4, 5, 6, 7],
    }
)
SAFE_NAMES = [
    '\'=HYPERLINK("http://x")',
    "'+45 1234",
    "'-2+3",
    "'@SUM(A1)",
    "'\tx",
    "'\rx",
    "Æblehaven",
]


def test_csv_is_danish_and_neutralised(tmp_path):
    path = tmp_path / "export.csv"
    write_csv(FRAME, path)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfarea_name;value;count\r\n")
    read = pd.read_csv(path, sep=";", decimal=",", encoding="utf-8-sig", keep_default_na=False)
    assert read["area_name"].tolist() == [*SAFE_NAMES, ""]
    assert read["count"].tolist() == [-4, 1, 2, 3, 4, 5, 6, 7]  # negatives stay numbers
    assert raw.decode("utf-8-sig").splitlines()[1].endswith(";-3,5;-4")
    assert ";0,00001;1" in raw.decode("utf-8-sig")  # positional, decimal comma


def test_xlsx_keeps_numbers_as_numbers_and_text_neutralised(tmp_path):
    path = tmp_path / "export.xlsx"
    write_xlsx(FRAME, path, sheet="Kvarterprofil")
    book = CalamineWorkbook.from_path(str(path))
    assert book.sheet_names == ["Kvarterprofil"]
    rows = book.get_sheet_by_index(0).to_python()
    assert rows[0] == ["area_name", "value", "count"]
    assert [r[0] for r in rows[1:-1]] == SAFE_NAMES
    assert rows[1][1:] == [-3.5, -4] and isinstance(rows[1][2], int | float)
    assert rows[4][1] == ""  # a missing value is an empty cell


def test_dates_and_decimals(tmp_path):
    frame = pd.DataFrame({"period": [dt.date(2025, 3, 1)], "fte": [Decimal("-1.50")]})
    write_csv(frame, tmp_path / "e.csv")
    assert (tmp_path / "e.csv").read_text("utf-8-sig").splitlines()[1] == "2025-03-01;-1,50"
    write_xlsx(frame, tmp_path / "e.xlsx")
    rows = CalamineWorkbook.from_path(str(tmp_path / "e.xlsx")).get_sheet_by_index(0).to_python()
    assert rows[1] == ["2025-03-01", -1.5]
