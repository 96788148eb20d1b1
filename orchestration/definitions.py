"""The Dagster code location: assembles assets, checks, jobs and resources."""

from __future__ import annotations

import dagster as dg

from orchestration.alert_assets import alert_emails, data_team_failure_mail
from orchestration.dbt_assets import dbt_resource, kvarter_dbt_assets
from orchestration.extract_assets import delivery_log, extract_assets
from orchestration.jobs import (
    landing_sensor,
    monthly_extract_job,
    monthly_schedule,
    refresh_after_extract,
    refresh_marts_job,
    yearly_extract_job,
    yearly_schedule,
)
from orchestration.publish_assets import published_marts
from orchestration.quality_checks import quality_checks
from orchestration.resources import KvarterStorage
from orchestration.signal_assets import area_signals


def build_definitions(storage: KvarterStorage) -> dg.Definitions:
    return dg.Definitions(
        assets=[
            *extract_assets,
            delivery_log,
            kvarter_dbt_assets,
            published_marts,
            area_signals,
            alert_emails,
        ],
        asset_checks=quality_checks,
        jobs=[monthly_extract_job, yearly_extract_job, refresh_marts_job],
        schedules=[monthly_schedule, yearly_schedule],
        sensors=[refresh_after_extract, landing_sensor, data_team_failure_mail],
        resources={"storage": storage, "dbt": dbt_resource()},
        # Steps write one DuckDB warehouse, which takes one writer at a time.
        executor=dg.in_process_executor,
    )


defs = build_definitions(KvarterStorage.from_env())
