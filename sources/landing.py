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


def delivered_periods(
    landing: Path, contract: Contract, first: dt.date = dt.date.min, last: dt.date = dt.date.max
) -> tuple[list[dt.date], list[str]]:
    """Periods first..last for which the landing zone holds a delivery of this file, and a
    message for each folder holding the file that is not read: its name is not a period, or
    its period is outside first..last (no partition exists for it). One misnamed folder
    must not stop every other delivery from being read, nor go unnoticed."""
    yearly = contract.cadence == "yearly"
    # ASCII digits only (\d takes any script's); year 0000 is no date (checked below).
    year = r"([0-9]{4})"
    pattern = re.compile(year if yearly else year + r"-(0[1-9]|1[0-2])")
    periods, skipped = [], []
    root = landing / contract.system
    for folder in sorted(root.iterdir()) if root.exists() else []:
        if not (folder / contract.source).exists():
            continue
        name = pattern.fullmatch(folder.name)
        if name is None or name[1] == "0000":
            form = "a year (YYYY)" if yearly else "a month (YYYY-MM, month 01-12)"
            skipped.append(f"{folder / contract.source}: not read: {folder.name} is not {form}")
            continue
        period = dt.date(int(name[1]), 1 if yearly else int(name[2]), 1)
        if period < first:
            skipped.append(
                f"{folder / contract.source}: not read: {folder.name} is before the first "
                f"period, {period_folder(contract, first)} (KVARTER_FIRST_MONTH)"
            )
        elif period > last:
            skipped.append(
                f"{folder / contract.source}: not read: {folder.name} has no partition yet "
                f"(the latest is {period_folder(contract, last)})"
            )
        else:
            periods.append(period)
    return periods, skipped
