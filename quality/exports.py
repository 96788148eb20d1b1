"""CSV and Excel exports that a spreadsheet cannot turn into formulas.

A text cell starting with `=`, `+`, `-`, `@`, a tab or a carriage return is read by
Excel or LibreOffice as a formula (CSV injection, OWASP). Every such text cell gets a
leading single quote, which spreadsheets show as text; numbers are written as numbers,
so -3.5 stays a negative number.

CSV follows Danish Excel: `;` between fields, decimal comma, UTF-8 with a byte-order mark
(so æøå open correctly by double-click), CRLF line ends, dates as YYYY-MM-DD, no thousands
separator. Excel workbooks hold numbers as numbers and everything else as inline text.
"""

import csv
import datetime as dt
import decimal
import numbers
import re
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import numpy as np
import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Characters XML 1.0 cannot hold; a workbook containing one does not open.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def neutralise(text: str) -> str:
    """A text cell as it is safe to export: prefixed with ' when it could start a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def _cell(value: object) -> object:
    """None (empty), a finite number (int, float or Decimal) or safe text."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if isinstance(value, numbers.Number) and not isinstance(value, bool | np.bool_):
        value = value.item() if isinstance(value, np.generic) else value
        return value if decimal.Decimal(value).is_finite() else None
    if isinstance(value, dt.datetime | pd.Timestamp):
        value = value.date() if value.time() == dt.time() else value
    if isinstance(value, dt.date):
        return value.isoformat()
    return neutralise(str(value))


def _rows(frame: pd.DataFrame) -> list[list[object]]:
    header = [neutralise(str(c)) for c in frame.columns]
    return [header, *([_cell(v) for v in row] for row in frame.itertuples(index=False))]


def _danish_csv_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):  # positional: Excel reads 0,00001 but not 1e-05 as a number
        return np.format_float_positional(value, trim="-").replace(".", ",")
    if isinstance(value, decimal.Decimal):
        return format(value, "f").replace(".", ",")
    return str(value)


def write_csv(frame: pd.DataFrame, path: Path) -> None:
    """`frame` as a Danish-Excel CSV; text cells neutralised, numbers with decimal comma."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerows([_danish_csv_text(v) for v in row] for row in _rows(frame))


_PARTS = {
    "[Content_Types].xml": (
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package'
        '.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
        'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/'
        'sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml'
        '.worksheet+xml"/></Types>'
    ),
    "_rels/.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
    ),
    "xl/_rels/workbook.xml.rels": (
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
    ),
}


def _xlsx_cell(value: object) -> str:
    if value is None:
        return "<c/>"
    if isinstance(value, numbers.Number):
        return f"<c><v>{value}</v></c>"
    text = escape(_XML_ILLEGAL.sub("", value), {"\r": "&#13;"})  # a bare CR would read as LF
    return f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'


def write_xlsx(frame: pd.DataFrame, path: Path, sheet: str = "Data") -> None:
    """`frame` as a one-sheet workbook (header in row 1); text cells neutralised.

    Written directly as Office Open XML (no workbook writer is installed). Inline text is
    never evaluated when the workbook opens, but the prefix still matters: a user who
    edits the cell or saves the sheet as CSV would otherwise arm it.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = "".join("<row>" + "".join(_xlsx_cell(v) for v in row) + "</row>" for row in _rows(frame))
    parts = {
        **_PARTS,
        "xl/workbook.xml": (
            '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<sheets><sheet name={quoteattr(sheet[:31])} sheetId="1" r:id="rId1"/></sheets>'
            "</workbook>"
        ),
        "xl/worksheets/sheet1.xml": (
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            f"<sheetData>{rows}</sheetData></worksheet>"
        ),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            archive.writestr(name, '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>' + xml)
