"""Day numbers (days since 1970-01-01) as text, fast: every day of 1800-2199 is formatted
once per format and looked up, since the same dates recur in every file and month."""

import datetime as dt

import numpy as np

EPOCH = dt.date(1970, 1, 1)
_FIRST = (dt.date(1800, 1, 1) - EPOCH).days
_LAST = (dt.date(2199, 12, 31) - EPOCH).days
_TABLES: dict[str, np.ndarray] = {}


def _render(day: int, fmt: str) -> str:
    return (EPOCH + dt.timedelta(days=int(day))).strftime(fmt)


def day_text(days: np.ndarray, fmt: str) -> np.ndarray:
    """strftime(fmt) of each day number, as an object array of str."""
    days = np.asarray(days, dtype=np.int64)
    if len(days) == 0 or not (_FIRST <= days.min() and days.max() <= _LAST):
        out = np.empty(len(days), dtype=object)
        out[:] = [_render(d, fmt) for d in days.tolist()]
        return out
    if fmt not in _TABLES:
        table = np.empty(_LAST - _FIRST + 1, dtype=object)
        table[:] = [_render(d, fmt) for d in range(_FIRST, _LAST + 1)]
        _TABLES[fmt] = table
    return _TABLES[fmt][days - _FIRST]
