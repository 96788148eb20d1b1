"""The landing zone layout: <landing>/<system>/<YYYY-MM>/<file>."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sources.contracts import Contract


def month_folder(period: dt.date) -> str:
    return f"{period:%Y-%m}"


def delivery_path(landing: Path, contract: Contract, period: dt.date) -> Path:
    return landing / contract.system / month_folder(period) / contract.file_name


def delivered_months(landing: Path, contract: Contract) -> list[dt.date]:
    """Months for which the landing zone holds a delivery of this file."""
    root = landing / contract.system
    months = []
    for folder in sorted(root.glob("[0-9][0-9][0-9][0-9]-[0-9][0-9]")):
        if (folder / contract.file_name).exists():
            year, month = folder.name.split("-")
            months.append(dt.date(int(year), int(month), 1))
    return months
