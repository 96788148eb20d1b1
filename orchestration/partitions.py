"""Partitions: monthly for monthly deliveries, yearly for yearly ones."""

import datetime as dt
import os
from pathlib import Path

import dagster as dg

from sources.contracts import Contract
from sources.landing import FILE_FORMATS, delivered_periods
from sources.registry import ALL_CONTRACTS

FIRST_MONTH = os.environ.get("KVARTER_FIRST_MONTH", "2021-01-01")

monthly = dg.MonthlyPartitionsDefinition(start_date=FIRST_MONTH)
# A year's partition opens during the year: national statistics for 1 January arrive early.
yearly = dg.TimeWindowPartitionsDefinition(
    cron_schedule="0 0 1 1 *", start=f"{FIRST_MONTH[:4]}-01-01", fmt="%Y-%m-%d", end_offset=1
)


def partition_date(key: str) -> dt.date:
    return dt.date.fromisoformat(key)


def partition_key(period: dt.date) -> str:
    return f"{period:%Y-%m-01}"


def month_range_tags(first: str, last: str) -> dict[str, str]:
    """Run tags that make one run of a partitioned job cover the months first..last."""
    return {
        "dagster/asset_partition_range_start": first,
        "dagster/asset_partition_range_end": last,
    }


def run_month_range(tags: dict[str, str]) -> tuple[str, str] | None:
    """The months first..last a run covers (a range or a single partition), if any."""
    first = tags.get("dagster/asset_partition_range_start") or tags.get("dagster/partition")
    if not first:
        return None
    return first, tags.get("dagster/asset_partition_range_end") or first


def landed_periods(landing: Path, contract: Contract) -> tuple[list[dt.date], list[str]]:
    """The contract's deliveries in the landing zone that have a partition, and a message per
    folder not read (sources/landing.py): a run or sensor request for a period without a
    partition fails every extract step, not only that folder's."""
    partitions = monthly if contract.cadence == "monthly" else yearly
    first = partition_date(partitions.get_first_partition_key())
    last = partition_date(partitions.get_last_partition_key())
    return delivered_periods(landing, contract, first, last)


def skipped_folders(landing: Path) -> list[str]:
    """A message per landing folder that is not read, over every file source."""
    return [
        message
        for contract in ALL_CONTRACTS
        if contract.fmt in FILE_FORMATS
        for message in landed_periods(landing, contract)[1]
    ]
