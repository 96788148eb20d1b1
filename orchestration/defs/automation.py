"""Jobs, schedules and the sensors that chain them.

The monthly schedule extracts last month's deliveries (a monthly partition), the yearly
one this year's yearly deliveries; `landing_sensor` re-extracts a period whenever its
files in the landing zone are new or replaced (a restatement), and
`retry_transient_extracts` runs again an extract that failed for a transient reason.
When an extract run succeeds, `refresh_after_extract` starts the refresh job for the
months it loaded: the monthly dbt models rebuild those months (and the rolling windows
after them), then the marts, quality gates, publish, detection and alert emails.
"""

import datetime as dt
import hashlib
import itertools
import json
import time

import dagster as dg

from orchestration.defs.extract import (
    TRANSIENT_TAG,
    extract_key,
    extract_keys,
    monthly_keys,
    yearly_keys,
)
from orchestration.partitions import (
    landed_periods,
    month_range_tags,
    monthly,
    partition_date,
    partition_key,
    run_month_range,
)
from orchestration.resources import KvarterStorage
from sources.landing import FILE_FORMATS, delivery_path
from sources.registry import ALL_CONTRACTS

monthly_extract_job = dg.define_asset_job(
    "monthly_extract",
    selection=dg.AssetSelection.assets(*monthly_keys),
    description="Extract one month of deliveries from every source system.",
)
yearly_extract_job = dg.define_asset_job(
    "yearly_extract",
    selection=dg.AssetSelection.assets(*yearly_keys),
    description="Extract one year's yearly deliveries (national statistics, exam results).",
)
refresh_marts_job = dg.define_asset_job(
    "refresh_marts_and_alerts",
    # Everything but the extracts (and their contract checks): seeds, dbt models and
    # tests, quality gates, publish, signals.
    selection=(dg.AssetSelection.all() - dg.AssetSelection.assets(*extract_keys)).materializable(),
    description="dbt build, quality gates, publish, detection and alert emails.",
)

# Monthly deliveries arrive in the first days of the month: run on the 5th for last month.
monthly_schedule = dg.build_schedule_from_partitioned_job(
    monthly_extract_job, day_of_month=5, hour_of_day=6
)


@dg.schedule(
    job=yearly_extract_job, cron_schedule="0 6 1 8 *", execution_timezone="Europe/Copenhagen"
)
def yearly_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    """On 1 August both national statistics and June's exam results have arrived."""
    year = context.scheduled_execution_time.year
    return dg.RunRequest(partition_key=f"{year}-01-01")


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[monthly_extract_job, yearly_extract_job],
    request_job=refresh_marts_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def refresh_after_extract(context: dg.RunStatusSensorContext) -> dg.RunRequest:
    """After a successful extract, refresh downstream the months it loaded.

    A run-status sensor rather than an automation condition: the staging views between
    the extracts and the monthly models are unpartitioned, so a condition would see every
    month's inputs change at once, and the eager condition only watches the latest month,
    where a restated old month must rebuild that month. The extract run knows its months.
    """
    run = context.dagster_run
    first, last = refreshed_months(run.job_name, run.tags)
    return dg.RunRequest(run_key=run.run_id, tags=month_range_tags(first, last))


def refreshed_months(extract_job: str, tags: dict[str, str]) -> tuple[str, str]:
    """First and last monthly partition an extract run's deliveries feed.

    A yearly partition (national statistics, exams) feeds the months of its year that
    exist so far. A month's deliveries also feed the next month's: a tenancy missing from
    a month's snapshot is let in the next month that holds it (int_indicators__housing).
    """
    first, last_key = run_month_range(tags)
    last = partition_date(last_key)
    newest = partition_date(monthly.get_last_partition_key())
    if extract_job == yearly_extract_job.name:
        last = dt.date(last.year, 12, 1)
    else:
        last = dt.date(last.year + last.month // 12, last.month % 12 + 1, 1)
    return first, partition_key(min(last, newest))


def landing_fingerprints(storage: KvarterStorage) -> tuple[dict[str, str], list[str]]:
    """'<cadence>/<period>' -> a hash of the size and mtime of every file delivered for it;
    and a message per folder not read (a name that is not a period, or no partition)."""
    files: dict[str, list[str]] = {}
    skipped: list[str] = []
    for contract in ALL_CONTRACTS:
        if contract.fmt not in FILE_FORMATS:
            continue
        periods, not_read = landed_periods(storage.landing, contract)
        skipped += not_read
        for period in periods:
            stat = delivery_path(storage.landing, contract, period).stat()
            files.setdefault(f"{contract.cadence}/{partition_key(period)}", []).append(
                f"{contract.table}:{stat.st_size}:{stat.st_mtime_ns}"
            )
    fingerprints = {
        period: hashlib.sha256("|".join(sorted(parts)).encode()).hexdigest()[:16]
        for period, parts in files.items()
    }
    return fingerprints, skipped


def yearly_delivered(storage: KvarterStorage, key: str) -> list[dg.AssetKey]:
    """The yearly sources delivered for the year of partition `key`."""
    return [
        extract_key(contract)
        for contract in ALL_CONTRACTS
        if contract.cadence == "yearly"
        and contract.fmt in FILE_FORMATS
        and partition_date(key) in landed_periods(storage.landing, contract)[0]
    ]


@dg.sensor(
    jobs=[monthly_extract_job, yearly_extract_job],
    minimum_interval_seconds=300,
    # Off until an operator turns it on: its first tick requests every delivered period.
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def landing_sensor(context: dg.SensorEvaluationContext, storage: KvarterStorage):
    """Request an extract of every period whose deliveries are new or were replaced.

    A folder not read is logged as a warning on every tick until it is renamed or removed,
    and is the tick's skip reason when nothing else is requested; the other periods are
    requested as usual."""
    seen = json.loads(context.cursor) if context.cursor else {}
    now, skipped = landing_fingerprints(storage)
    for message in skipped:
        context.log.warning(message)
    requested = False
    for period, fingerprint in sorted(now.items()):
        if seen.get(period) == fingerprint:
            continue
        cadence, key = period.split("/")
        requested = True
        yield dg.RunRequest(
            run_key=f"{period}:{fingerprint}",
            job_name="monthly_extract" if cadence == "monthly" else "yearly_extract",
            partition_key=key,
            tags={"kvarter/reason": "new delivery" if period not in seen else "restatement"},
            # A month's sources are due together (a missing one fails the run, and is
            # reported late); a year's arrive months apart: each when it is there.
            asset_selection=None if cadence == "monthly" else yearly_delivered(storage, key),
        )
    context.update_cursor(json.dumps(now, sort_keys=True))
    if skipped and not requested:
        yield dg.SkipReason("; ".join(skipped))


# An extract run of one partition (the schedule's, the landing sensor's) that failed for a
# transient reason (TRANSIENT_TAG: a source unreachable, the housing database or the
# warehouse locked, through the step's own retries) is run again an hour after it ended,
# up to 3 failed runs in a row. A delivery fault is not: it fails the same way until the
# files change. The data team is mailed of every failed run either way.
RETRY_AFTER = dt.timedelta(hours=1)
MAX_RUNS = 3
PARTITION_TAG = "dagster/partition"  # Dagster's tag of a single-partition run


@dg.sensor(
    jobs=[monthly_extract_job, yearly_extract_job],
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def retry_transient_extracts(context: dg.SensorEvaluationContext):
    """Run again a partition's extract that failed for a transient reason."""
    failed = context.instance.get_run_records(
        dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE], tags={TRANSIENT_TAG: "true"}),
        limit=100,
    )
    due = time.time() - RETRY_AFTER.total_seconds()
    handled = set()
    for record in failed:  # newest first
        run = record.dagster_run
        partition = run.tags.get(PARTITION_TAG)
        if partition is None or (run.job_name, partition) in handled:
            continue  # a backfill over a range (`kvarter run`) is its operator's to re-run
        handled.add((run.job_name, partition))
        latest = context.instance.get_run_records(
            dg.RunsFilter(job_name=run.job_name, tags={PARTITION_TAG: partition}), limit=MAX_RUNS
        )
        failures = list(
            itertools.takewhile(
                lambda r: (
                    r.dagster_run.status == dg.DagsterRunStatus.FAILURE
                    and TRANSIENT_TAG in r.dagster_run.tags
                ),
                latest,
            )
        )
        if latest[0].dagster_run.run_id != run.run_id:
            continue  # a later run is under way or done
        if len(failures) >= MAX_RUNS or (record.end_time or 0) > due:
            continue
        yield dg.RunRequest(
            run_key=f"retry:{run.run_id}",
            job_name=run.job_name,
            partition_key=partition,
            asset_selection=sorted(run.asset_selection) if run.asset_selection else None,
            tags={
                "kvarter/reason": f"retry {len(failures) + 1} of {MAX_RUNS} after a "
                f"transient failure ({run.run_id})"
            },
        )
