"""The dbt project as Dagster assets, in three steps of one flow.

Seeds and staging views come first, the month-grained incremental models (intermediate
and restricted) are partitioned by month, and the marts are rebuilt whole after them.
A run over a range of months is one dbt invocation whose vars are the range
(dbt_project/macros/incremental.sql); the UI shows each month's status.
"""

import json
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DbtCliResource,
    DbtProject,
    dbt_assets,
    get_asset_key_for_model,
)

from orchestration.partitions import monthly, run_month_range
from orchestration.resources import PROJECT_ROOT, WAREHOUSE_POOL, KvarterStorage
from sources import duckdb_limits

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
INCREMENTAL = "config.materialized:incremental"
BEFORE_INCREMENTAL = "resource_type:seed staging"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# `dagster dev` re-parses after a model changes; elsewhere `make` parses up front.
dbt_project.prepare_if_dev()


class KvarterDbtTranslator(DagsterDbtTranslator):
    """Groups assets by layer (the schema each model is built in)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "extract"
        return dbt_resource_props.get("config", {}).get("schema") or "dbt"


# dbt unit tests check the models' logic on fixtures, not the data: they run in the test
# suite (tests/dbt/test_unit_tests.py), as dbt advises, not in every scheduled build,
# where they cost some 3-4 s of each run's models and marts steps.
NOT_UNIT_TESTS = ["--exclude-resource-type", "unit_test"]


def dbt_build_args(storage: KvarterStorage, **dbt_vars: str) -> list[str]:
    """`dbt build` against the storage's warehouse, within DuckDB's memory and thread
    bounds (the profile reads both as vars), without the unit tests."""
    limits = duckdb_limits.settings(storage.warehouse_path)
    profile = {"warehouse": storage.warehouse_path, **{f"duckdb_{k}": v for k, v in limits.items()}}
    return ["build", *NOT_UNIT_TESTS, "--vars", json.dumps({**profile, **dbt_vars})]


class MonthlyBuild(dg.Config):
    """full_refresh rebuilds the incremental models from scratch (needed after a change of
    their columns); otherwise only the run's months and the rolling windows after them."""

    full_refresh: bool = False


def monthly_build_args(
    storage: KvarterStorage, months: dg.PartitionKeyRange, full_refresh: bool
) -> list[str]:
    args = dbt_build_args(storage, period_from=months.start, period_to=months.end)
    return [*args, "--full-refresh"] if full_refresh else args


@dbt_assets(
    manifest=dbt_project.manifest_path,
    select=BEFORE_INCREMENTAL,
    dagster_dbt_translator=KvarterDbtTranslator(),
    pool=WAREHOUSE_POOL,
)
def dbt_reference_and_staging(
    context: dg.AssetExecutionContext, dbt: DbtCliResource, storage: KvarterStorage
):
    # Only tests whose every parent is built here: a later model's test that also reads a
    # seed runs with that model. A refresh of some months tests only those months' rows.
    months = run_month_range(context.run.tags)
    dbt_vars = {"period_from": months[0], "period_to": months[1]} if months else {}
    args = [*dbt_build_args(storage, **dbt_vars), "--indirect-selection", "cautious"]
    yield from dbt.cli(args, context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    select=INCREMENTAL,
    partitions_def=monthly,
    # A range of months (a backfill, a restated old month) is one dbt run.
    backfill_policy=dg.BackfillPolicy.single_run(),
    dagster_dbt_translator=KvarterDbtTranslator(),
    pool=WAREHOUSE_POOL,
)
def dbt_monthly(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    storage: KvarterStorage,
    config: MonthlyBuild,
):
    args = monthly_build_args(storage, context.partition_key_range, config.full_refresh)
    yield from dbt.cli(args, context=context).stream()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    exclude=f"{BEFORE_INCREMENTAL} {INCREMENTAL}",
    dagster_dbt_translator=KvarterDbtTranslator(),
    pool=WAREHOUSE_POOL,
)
def dbt_marts(context: dg.AssetExecutionContext, dbt: DbtCliResource, storage: KvarterStorage):
    yield from dbt.cli(dbt_build_args(storage), context=context).stream()


def dbt_key(model: str) -> dg.AssetKey:
    """Asset key of a dbt model or seed (its schema is the first part)."""
    for step in (dbt_reference_and_staging, dbt_monthly, dbt_marts):
        try:
            return get_asset_key_for_model([step], model)
        except KeyError:
            continue
    raise KeyError(f"no dbt model or seed named {model}")


FACT = dbt_key("fct_area_indicator_month")
RESTRICTED = dbt_key("restricted_area_indicator_month")
DIM_AREA = dbt_key("dim_area")
DIM_AREA_GEOMETRY = dbt_key("dim_area_geometry")
DIM_HOUSING_DEPARTMENT = dbt_key("dim_housing_department")
STATUTORY = dbt_key("statutory_criteria")
PROFILE = dbt_key("kvarterprofil")
CATALOGUE = dbt_key("indicator_catalogue")
DIM_INDICATOR = dbt_key("dim_indicator")
DISCLOSURE_RULES = dbt_key("disclosure_rules")
DISCLOSURE_RELATIONS = dbt_key("disclosure_relations")
CONTACTS = dbt_key("department_contacts")
