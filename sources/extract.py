"""Extract one delivered file for one month into the raw schema."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from sources.contracts import Contract
from sources.danish_csv import DeliveryError, read_delivery
from sources.landing import delivery_path
from sources.warehouse import LoadStats, replace_partition


def extract_month(
    con: duckdb.DuckDBPyConnection,
    landing: Path,
    contract: Contract,
    period: dt.date,
    key: bytes,
) -> LoadStats:
    """Parse, validate, pseudonymise and load one month's delivery of one file."""
    path = delivery_path(landing, contract, period)
    if not path.exists():
        raise DeliveryError(
            f"{path}: no delivery of {contract.system}/{contract.file_name} for {period:%Y-%m}"
        )
    parsed = read_delivery(path, contract, key)
    return replace_partition(con, contract, period, str(path.relative_to(landing)), parsed)
