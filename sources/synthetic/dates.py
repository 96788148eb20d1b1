"""Day numbers (days since 1970-01-01) as text, fast: each day is formatted once per format
and looked up after, since the same dates recur in every file and month."""

import datetime as dt

import numpy as np

EPOCH = dt.date(1970, 1, 1)
_TABLES: dict[str, tuple[int, np.ndarray]] = {}  # format -> (first day, text of each day)


def _render(day: int, fmt: str) -> str:
    return (EPOCH + dt.timedelta(days=day)).strftime(fmt)


def day_text(days: np.ndarray, fmt: str) -> np.ndarray:
    """strftime(fmt) of each day number, as an object array of str."""
    days = np.asarray(days, dtype=np.int64)
    if len(days) == 0:
        return np.empty(0, dtype=object)
    low, high = int(days.min()), int(days.max())
    first, table = _TABLES.get(fmt, (low, np.empty(0, dtype=object)))
    end = first + len(table)
    if low < first or high >= end:  # grow the table to cover these days
        start, stop = min(low, first), max(high + 1, end)
        grown = np.empty(stop - start, dtype=object)
        grown[first - start : end - start] = table
        grown[: first - start] = [_render(d, fmt) for d in range(start, first)]
        grown[end - start :] = [_render(d, fmt) for d in range(end, stop)]
        first, table = start, grown
        _TABLES[fmt] = (first, table)
    return table[days - first]
