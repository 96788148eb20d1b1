"""Vectorised validation of delivered rows against their contract.

Readers hand over every data row as text cells (one string column per contract header)
plus the line or record number of each row. Each row comes back either typed in
`records` or in `quarantine` with its line, the first failing column, the value (never a
CPR number) and the reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sources import cpr as cpr_mod
from sources.contracts import Column, Contract

YES = {"ja", "j", "1", "true", "sand"}
NO = {"nej", "n", "0", "false", "falsk"}
QUARANTINE_COLUMNS = ["line", "column_name", "value", "reason"]


@dataclass(frozen=True)
class Dialect:
    """How a source spells dates and decimals in text."""

    date_format: str
    decimal_comma: bool


DANISH = Dialect("%d-%m-%Y", decimal_comma=True)  # CSV exports: 31-12-2025, 1.234,5
ISO = Dialect("%Y-%m-%d", decimal_comma=False)  # Excel, SQL and JSON values as text


@dataclass
class Validated:
    records: pd.DataFrame  # contract column names + source_line
    quarantine: pd.DataFrame  # QUARANTINE_COLUMNS
    rows_read: int


class Pseudonymiser:
    """Keyed CPR pseudonyms with a cache: the same person recurs every month."""

    def __init__(self, key: bytes):
        self._key = key
        self._cache: dict[str, str] = {}

    def __call__(self, cpr10: str) -> str:
        found = self._cache.get(cpr10)
        if found is None:
            found = self._cache[cpr10] = cpr_mod.pseudonymise(cpr10, self._key)
        return found


def _numbers(text: pd.Series, dialect: Dialect) -> pd.Series:
    if dialect.decimal_comma:
        text = text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False)
    return pd.to_numeric(text, errors="coerce")


def _cpr_dates_valid(digits: pd.Series) -> pd.Series:
    day, month = digits.str[0:2], digits.str[2:4]
    year2 = digits.str[4:6].astype(int)
    d7 = digits.str[6].astype(int)
    century = np.select(
        [d7 <= 3, d7.isin([4, 9]) & (year2 <= 36), d7.isin([4, 9]), year2 <= 57],
        [1900, 2000, 1900, 2000],
        default=1800,
    )
    iso = (century + year2).astype(str) + "-" + month + "-" + day
    return pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce").notna()


def _parse_column(
    column: Column, text: pd.Series, dialect: Dialect, pseudonymise: Callable[[str], str]
) -> tuple[pd.Series, pd.Series]:
    """Typed values and a reason per row ('' where the cell is fine)."""
    present = text != ""
    reason = pd.Series("", index=text.index, dtype=object)
    if not column.nullable:
        reason[~present] = "missing value in a required column"
    kind = column.kind
    if kind == "cpr":
        digits = text.str.replace("-", "", n=1, regex=False)
        shaped = text.str.fullmatch(r"\d{6}-?\d{4}")
        reason[present & ~shaped] = "invalid CPR number: not 10 digits in the form DDMMYY-SSSS"
        real = pd.Series(False, index=text.index)
        real[shaped] = _cpr_dates_valid(digits[shaped])
        reason[shaped & ~real] = "invalid CPR number: the first six digits are not a real date"
        values = pd.Series(None, index=text.index, dtype=object)
        values[real] = digits[real].map(pseudonymise)
    elif kind in ("text", "enum"):
        values = text.where(present, None).astype(object)
        if column.allowed:
            bad = present & ~text.isin(column.allowed)
            reason[bad] = f"not one of the allowed values {', '.join(column.allowed)}"
    elif kind == "yes_no":
        lower = text.str.lower()
        values = pd.Series(None, index=text.index, dtype=object)
        values[lower.isin(YES)] = True
        values[lower.isin(NO)] = False
        reason[present & values.isna()] = "not ja/nej"
    elif kind == "date":
        parsed = pd.to_datetime(text, format=dialect.date_format, errors="coerce")
        spelled = "dd-mm-yyyy" if dialect.date_format == "%d-%m-%Y" else "yyyy-mm-dd"
        reason[present & parsed.isna()] = f"not a date in the form {spelled}"
        values = parsed.dt.date.astype(object).where(parsed.notna(), None)
    else:
        numbers = _numbers(text, dialect)
        if kind == "int":
            whole = numbers.notna() & (numbers == numbers.round())
            reason[present & ~whole] = "not a whole number"
            numbers = numbers.where(whole)
        else:
            word = "number with decimal comma" if dialect.decimal_comma else "number"
            reason[present & numbers.isna()] = f"not a {word}"
        if column.minimum is not None:
            reason[(reason == "") & (numbers < column.minimum)] = (
                f"below the minimum {column.minimum:g}"
            )
        if column.maximum is not None:
            reason[(reason == "") & (numbers > column.maximum)] = (
                f"above the maximum {column.maximum:g}"
            )
        values = numbers.astype(object).where(numbers.notna(), None)
    return values, reason


def validate(
    cells: pd.DataFrame,
    lines: np.ndarray,
    contract: Contract,
    dialect: Dialect,
    pseudonymise: Callable[[str], str],
    rejected: pd.DataFrame | None = None,
) -> Validated:
    """Type and check every row; `rejected` holds rows a reader already refused."""
    cells = cells.fillna("").astype(str).apply(lambda s: s.str.strip())
    index = pd.RangeIndex(len(cells))
    cells.index = index
    first_reason = pd.Series("", index=index, dtype=object)
    first_column = pd.Series("", index=index, dtype=object)
    first_value = pd.Series("", index=index, dtype=object)
    typed = {}
    for column in contract.columns:
        values, reason = _parse_column(column, cells[column.header], dialect, pseudonymise)
        typed[column.name] = values
        new = (first_reason == "") & (reason != "")
        first_reason[new] = reason[new]
        first_column[new] = column.header
        first_value[new] = "<redacted>" if column.kind == "cpr" else cells[column.header][new]
    records = pd.DataFrame(typed, index=index)
    records["source_line"] = lines
    ok = first_reason == ""
    good = records[ok]
    duplicate = good.duplicated(subset=list(contract.key), keep="first")
    first_line = good.groupby(list(contract.key), dropna=False)["source_line"].transform("first")
    quarantine = pd.concat(
        [
            pd.DataFrame(
                {
                    "line": lines[~ok.to_numpy()],
                    "column_name": first_column[~ok].to_numpy(),
                    "value": first_value[~ok].to_numpy(),
                    "reason": first_reason[~ok].to_numpy(),
                }
            ),
            pd.DataFrame(
                {
                    "line": good.loc[duplicate, "source_line"].to_numpy(),
                    "column_name": ",".join(contract.key),
                    "value": "",
                    "reason": "duplicate key, first seen on line "
                    + first_line[duplicate].astype(str).to_numpy(),
                }
            ),
            rejected if rejected is not None else pd.DataFrame(columns=QUARANTINE_COLUMNS),
        ],
        ignore_index=True,
    ).sort_values("line", kind="stable", ignore_index=True)
    rows_read = len(cells) + (0 if rejected is None else len(rejected))
    return Validated(good[~duplicate].reset_index(drop=True), quarantine, rows_read)
