"""Write records the way Danish municipal systems export CSV."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path


def format_cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "ja" if value else "nej"
    if isinstance(value, dt.date):
        return f"{value:%d-%m-%Y}"
    if isinstance(value, float):
        return f"{value:g}".replace(".", ",")
    return str(value)


def write_csv(
    path: Path, header: Sequence[str], rows: Iterable[Sequence[object]], encoding: str = "utf-8"
) -> int:
    """Write a `;`-separated file with CRLF line ends; return the number of data rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [";".join(header)]
    lines += [";".join(format_cell(v) for v in row) for row in rows]
    path.write_bytes(("\r\n".join(lines) + "\r\n").encode(encoding))
    return len(lines) - 1
