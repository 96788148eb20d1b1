"""The landing zone layout for file deliveries.

Monthly files: <landing>/<system>/<YYYY-MM>/<file>; yearly files: <landing>/<system>/<YYYY>/<file>.
The housing system (SQL) and the health system (HTTP API) are read where they live.
"""

import datetime as dt
import re
from pathlib import Path

from sources.contracts import Contract

FILE_FORMATS = ("csv", "xlsx", "geojson")


def period_folder(contract: Contract, period: dt.date) -> str:
    return f"{period:%Y}" if contract.cadence == "yearly" else f"{period:%Y-%m}"


def delivery_path(landing: Path, contract: Contract, period: dt.date) -> Path:
    return landing / contract.system / period_folder(contract, period) / contract.source


def delivered_periods(landing: Path, contract: Contract) -> list[dt.date]:
    """Periods for which the landing zone holds a delivery of this file."""
    pattern = re.compile(r"^\d{4}$" if contract.cadence == "yearly" else r"^\d{4}-\d{2}$")
    periods = []
    root = landing / contract.system
    for folder in sorted(root.iterdir()) if root.exists() else []:
        if pattern.match(folder.name) and (folder / contract.source).exists():
            year, _, month = folder.name.partition("-")
            periods.append(dt.date(int(year), int(month or 1), 1))
    return periods
