"""Run the whole pipeline through Dagster's own jobs, as the schedule and sensor would."""

import datetime as dt
from dataclasses import dataclass

import dagster as dg

from orchestration.partitions import partition_key
from orchestration.resources import KvarterStorage
from sources.landing import delivered_months
from sources.registry import ALL_CONTRACTS


class NothingDelivered(Exception):
    pass


@dataclass
class PipelineRun:
    first_month: dt.date
    last_month: dt.date
    extract: dg.ExecuteInProcessResult
    refresh: dg.ExecuteInProcessResult | None


def delivered_range(storage: KvarterStorage) -> tuple[dt.date, dt.date]:
    months = sorted({m for c in ALL_CONTRACTS for m in delivered_months(storage.landing, c)})
    if not months:
        raise NothingDelivered(f"no deliveries under {storage.landing}")
    return months[0], months[-1]


def run_pipeline(
    defs: dg.Definitions,
    storage: KvarterStorage,
    instance: dg.DagsterInstance | None = None,
    log_level: str = "INFO",
) -> PipelineRun:
    """Extract every delivered month (one backfill run), then refresh everything downstream.

    A month missing for some source fails the extract run with the file it expected.
    """
    first, last = delivered_range(storage)
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    extract = defs.resolve_job_def("monthly_extract").execute_in_process(
        run_config=run_config,
        instance=instance,
        tags={
            "dagster/asset_partition_range_start": partition_key(first),
            "dagster/asset_partition_range_end": partition_key(last),
        },
        raise_on_error=False,
    )
    refresh = None
    if extract.success:
        refresh = defs.resolve_job_def("refresh_marts_and_alerts").execute_in_process(
            run_config=run_config, instance=instance, raise_on_error=False
        )
    return PipelineRun(first, last, extract, refresh)
