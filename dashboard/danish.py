"""Danish number and month formatting: decimal comma, thousands separator '.'."""

import datetime as dt

import pandas as pd

MONTHS = (
    "januar februar marts april maj juni juli august september oktober november december"
).split()
# Vega formats numbers the English way; this expression swaps the separators for Danish.
DANISH_NUMBER = (
    "replace(replace(replace(format(datum.value, ',.{d}f'), /,/g, '_'), /[.]/g, ','), /_/g, '.')"
)
UNITS = {"pct": " %", "per_100": " pr. 100", "per_1000": " pr. 1.000", "count": "", "ratio": ""}


def number(value: float | None, decimals: int = 1) -> str:
    """1234.5 -> '1.234,5'; missing -> '' (a hidden cell is empty, never zero)."""
    if value is None or pd.isna(value):
        return ""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "_").replace(".", ",").replace("_", ".")


def month(day: dt.date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"


def indicator_value(value: float | None, unit: str, scale: int) -> str:
    """A stored proportion in its display unit: 0.376 as pct -> '37,6 %'."""
    if value is None or pd.isna(value):
        return ""
    return number(value * scale, _decimals(unit)) + UNITS.get(unit, "")


def indicator_change(value: float | None, unit: str, scale: int) -> str:
    """A change with its sign; a change of a share is in percentage points."""
    if value is None or pd.isna(value):
        return ""
    suffix = " %-point" if unit == "pct" else UNITS.get(unit, "")
    return ("+" if value > 0 else "") + number(value * scale, _decimals(unit)) + suffix


def _decimals(unit: str) -> int:
    return 0 if unit == "count" else 2 if unit == "ratio" else 1
