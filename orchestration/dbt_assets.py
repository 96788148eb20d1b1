"""The dbt project as Dagster assets: staging -> intermediate -> restricted / marts."""

import json
import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import (
    DagsterDbtTranslator,
    DbtCliResource,
    DbtProject,
    dbt_assets,
    get_asset_key_for_model,
)

from orchestration.resources import PROJECT_ROOT, KvarterStorage
from sources import duckdb_limits

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
DBT_EXECUTABLE = Path(sys.executable).parent / "dbt"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
if not dbt_project.manifest_path.exists():
    # A fresh clone has no manifest yet: parse once (`make` does this up front).
    dbt_project.preparer.prepare(dbt_project)


class KvarterDbtTranslator(DagsterDbtTranslator):
    """Groups assets by layer (the schema each model is built in)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "source":
            return "extract"
        return dbt_resource_props.get("config", {}).get("schema") or "dbt"


def dbt_resource() -> DbtCliResource:
    return DbtCliResource(
        project_dir=dbt_project, profiles_dir=DBT_PROJECT_DIR, dbt_executable=str(DBT_EXECUTABLE)
    )


class RefreshWindow(dg.Config):
    """The months whose data changed (first days of months, inclusive).

    Left empty, the run is a full refresh: every model is rebuilt from all loaded data.
    Set, the incremental models rebuild only these months and the later months whose
    rolling windows include them (dbt_project/macros/incremental.sql).
    """

    period_from: str | None = None
    period_to: str | None = None


def dbt_build_args(window: RefreshWindow) -> list[str]:
    if window.period_from is None:
        return ["build", "--full-refresh"]
    last = window.period_to or window.period_from
    return ["build", "--vars", json.dumps({"period_from": window.period_from, "period_to": last})]


@dbt_assets(manifest=dbt_project.manifest_path, dagster_dbt_translator=KvarterDbtTranslator())
def kvarter_dbt_assets(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    storage: KvarterStorage,
    config: RefreshWindow,
):
    # The dbt profile reads the warehouse path (and DuckDB's limits) from these variables;
    # set them from the storage resource so dbt and the Python steps use the same file.
    os.environ["KVARTER_WAREHOUSE"] = storage.warehouse_path
    os.environ.update(duckdb_limits.dbt_env(storage.warehouse_path))
    yield from dbt.cli(dbt_build_args(config), context=context).stream()


def dbt_key(model: str) -> dg.AssetKey:
    """Asset key of a dbt model or seed (its schema is the first part)."""
    return get_asset_key_for_model([kvarter_dbt_assets], model)


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
