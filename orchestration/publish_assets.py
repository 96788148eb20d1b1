"""Publish the disclosure-controlled marts as a separate, atomically swapped DuckDB file.

Dashboards and department queries read this copy, so they never hold a lock on the
warehouse the pipeline writes, and never see a half-built state.
"""

import os
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.dbt_assets import (
    CATALOGUE,
    DIM_AREA,
    DIM_HOUSING_DEPARTMENT,
    FACT,
    PROFILE,
    STATUTORY,
)
from orchestration.resources import KvarterStorage

PUBLISHED_TABLES = {
    "fct_area_indicator_month": "marts.fct_area_indicator_month",
    "dim_area": "marts.dim_area",
    "dim_housing_department": "marts.dim_housing_department",
    "statutory_criteria": "marts.statutory_criteria",
    "kvarterprofil": "marts.kvarterprofil",
    "indicator_catalogue": "reference.indicator_catalogue",
}


def publish(warehouse: Path, target: Path) -> dict[str, int]:
    """Copy the published tables to `target` via a temporary file and an atomic rename."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    counts = {}
    con = duckdb.connect(str(tmp))
    try:
        con.execute(f"attach '{warehouse}' as warehouse (read_only)")
        for name, source in PUBLISHED_TABLES.items():
            con.execute(f"create table main.{name} as select * from warehouse.{source}")
            counts[name] = con.execute(f"select count(*) from main.{name}").fetchall()[0][0]
        con.execute("detach warehouse")
    finally:
        con.close()
    os.replace(tmp, target)
    return counts


@dg.asset(
    deps=[FACT, DIM_AREA, DIM_HOUSING_DEPARTMENT, STATUTORY, PROFILE, CATALOGUE],
    group_name="publish",
    kinds={"duckdb"},
    description="Read-only copy of the published marts for dashboards and departments.",
)
def published_marts(storage: KvarterStorage) -> dg.MaterializeResult:
    counts = publish(Path(storage.warehouse_path), Path(storage.published_path))
    return dg.MaterializeResult(
        metadata={"path": storage.published_path, **{f"rows_{k}": v for k, v in counts.items()}}
    )
