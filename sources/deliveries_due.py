"""Which monthly file deliveries are late: each source's month is due by a day of the
next month (configuration), and a file not in the landing zone by then is reported.

    KVARTER_DELIVERY_DUE_DAYS="population/residents=3,housing/vacancies=10"

Unlisted sources are due by DEFAULT_DUE_DAY, the day the monthly schedule runs. The
systems read where they live (SQL, API) are not checked here: their extract fails instead.
"""

import datetime as dt
import os
from pathlib import Path

from sources.landing import FILE_FORMATS, delivery_path
from sources.registry import MONTHLY

DEFAULT_DUE_DAY = 5
DUE_DAYS_ENV = "KVARTER_DELIVERY_DUE_DAYS"


def due_days(text: str | None = None) -> dict[str, int]:
    """'<system>/<entity>' -> due day, from the setting; a bad entry is named."""
    text = os.environ.get(DUE_DAYS_ENV, "") if text is None else text
    known = {f"{c.system}/{c.entity}" for c in MONTHLY if c.fmt in FILE_FORMATS}
    days = {}
    for entry in filter(None, (e.strip() for e in text.split(","))):
        source, _, day = entry.partition("=")
        if source not in known:
            raise ValueError(f"{DUE_DAYS_ENV}: unknown file source {source!r} in {entry!r}")
        if not day.isdigit() or not 1 <= int(day) <= 28:
            raise ValueError(f"{DUE_DAYS_ENV}: day must be 1-28 in {entry!r}")
        days[source] = int(day)
    return days


def late_deliveries(landing: Path, today: dt.date, days: dict[str, int]) -> list[str]:
    """'<system>/<entity> YYYY-MM' of every file for last month missing past its due day."""
    month = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    late = []
    for contract in MONTHLY:
        source = f"{contract.system}/{contract.entity}"
        if contract.fmt not in FILE_FORMATS or today.day <= days.get(source, DEFAULT_DUE_DAY):
            continue
        if not delivery_path(landing, contract, month).exists():
            late.append(f"{source} {month:%Y-%m}")
    return late
