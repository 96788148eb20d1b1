"""Jobs, the monthly schedule and the sensor that chains them.

The schedule extracts last month's deliveries (a monthly partition). When that run
succeeds, a sensor starts the downstream job: dbt build, quality gates, publish,
detection and alert emails. The downstream assets are unpartitioned: each run rebuilds
the marts over every loaded month.
"""

import dagster as dg

from orchestration.extract_assets import extract_keys

monthly_extract_job = dg.define_asset_job(
    "monthly_extract",
    selection=dg.AssetSelection.assets(*extract_keys),
    description="Extract one month of deliveries from every source system.",
)

refresh_marts_job = dg.define_asset_job(
    "refresh_marts_and_alerts",
    # Everything but the extracts: seeds, dbt models and tests, checks, publish, signals.
    selection=(dg.AssetSelection.all() - dg.AssetSelection.assets(*extract_keys)).materializable(),
    description="dbt build, quality gates, publish, detection and alert emails.",
)

# Monthly deliveries arrive in the first days of the month: run on the 5th for last month.
monthly_schedule = dg.build_schedule_from_partitioned_job(
    monthly_extract_job, day_of_month=5, hour_of_day=6
)


@dg.run_status_sensor(
    run_status=dg.DagsterRunStatus.SUCCESS,
    monitored_jobs=[monthly_extract_job],
    request_job=refresh_marts_job,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def refresh_after_extract(context: dg.RunStatusSensorContext) -> dg.RunRequest:
    """After a successful extract, rebuild everything downstream of it."""
    return dg.RunRequest(run_key=context.dagster_run.run_id)
