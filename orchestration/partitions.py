"""Monthly partitions: one per delivered month of the source systems."""

import datetime as dt
import os

import dagster as dg

FIRST_MONTH = os.environ.get("KVARTER_FIRST_MONTH", "2024-01-01")

monthly = dg.MonthlyPartitionsDefinition(start_date=FIRST_MONTH)


def partition_date(key: str) -> dt.date:
    return dt.date.fromisoformat(key)


def partition_key(period: dt.date) -> str:
    return f"{period:%Y-%m-01}"
