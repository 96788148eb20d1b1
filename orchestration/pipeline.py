"""Run the whole pipeline through Dagster's own jobs, as the schedules and sensors would."""

import datetime as dt
from dataclasses import dataclass

import dagster as dg

from orchestration.defs.extract import extract_key
from orchestration.partitions import landed_periods, month_range_tags, partition_key
from orchestration.resources import KvarterStorage
from orchestration.stale_runs import run_tags
from sources.landing import FILE_FORMATS
from sources.registry import MONTHLY, YEARLY

# Run config of the refresh job that rebuilds the monthly models from scratch.
FULL_REFRESH = {"ops": {"dbt_monthly": {"config": {"full_refresh": True}}}}


class NothingDelivered(Exception):
    pass


@dataclass
class PipelineRun:
    months: tuple[dt.date, dt.date]
    extracts: list[dg.ExecuteInProcessResult]
    refresh: dg.ExecuteInProcessResult | None

    @property
    def success(self) -> bool:
        return all(r.success for r in self.extracts) and bool(self.refresh and self.refresh.success)


def delivered_range(storage: KvarterStorage, contracts) -> tuple[dt.date, dt.date] | None:
    """First and last delivered period with a partition: a run's range reaching a period
    without one would fail every extract step before it starts (and be retried)."""
    periods = sorted(
        {
            p
            for c in contracts
            if c.fmt in FILE_FORMATS
            for p in landed_periods(storage.landing, c)[0]
        }
    )
    return (periods[0], periods[-1]) if periods else None


def yearly_runs(storage: KvarterStorage) -> list[tuple[tuple[dt.date, dt.date], list]]:
    """The yearly extract runs: each yearly source over its own delivered years, sources
    with the same years in one run. Yearly sources arrive months apart (the national
    statistics dated 1 January early in the year, the exams after June): one run over
    every source's years would fail the exams step, and stop the refresh, until then."""
    spans: dict[tuple[dt.date, dt.date], list] = {}
    for contract in YEARLY:
        if contract.fmt in FILE_FORMATS and (span := delivered_range(storage, [contract])):
            spans.setdefault(span, []).append(extract_key(contract))
    return sorted(spans.items())


def run_pipeline(
    defs: dg.Definitions,
    storage: KvarterStorage,
    instance: dg.DagsterInstance | None = None,
    log_level: str = "INFO",
) -> PipelineRun:
    """Extract every delivered period (one backfill run of the monthly sources, one per
    span of years of the yearly ones: `yearly_runs`), then refresh downstream.

    A month missing for some source fails its extract run with the file it expected.
    """
    months = delivered_range(storage, MONTHLY)
    if months is None:
        raise NothingDelivered(f"no monthly deliveries under {storage.landing}")
    run_config = {"loggers": {"console": {"config": {"log_level": log_level}}}}
    extracts = []
    for job, span, assets in (
        ("monthly_extract", months, None),
        *(("yearly_extract", span, keys) for span, keys in yearly_runs(storage)),
    ):
        extracts.append(
            defs.resolve_job_def(job).execute_in_process(
                run_config=run_config,
                instance=instance,
                tags={
                    **month_range_tags(partition_key(span[0]), partition_key(span[1])),
                    **run_tags(),
                },
                asset_selection=assets,
                raise_on_error=False,
            )
        )
        if not extracts[-1].success:
            return PipelineRun(months, extracts, None)
    # Every delivered month, rebuilt from scratch: the run a new deployment starts with.
    refresh = defs.resolve_job_def("refresh_marts_and_alerts").execute_in_process(
        run_config={**run_config, **FULL_REFRESH},
        instance=instance,
        tags={
            **month_range_tags(partition_key(months[0]), partition_key(months[1])),
            **run_tags(),
        },
        raise_on_error=False,
    )
    return PipelineRun(months, extracts, refresh)
