"""The dbt project as Dagster assets, in three steps of one flow.

Seeds and staging views come first, the month-grained incremental models (intermediate
and restricted) are partitioned by month, and the marts are rebuilt whole after them.
A run over a range of months is one dbt invocation told the range
(dbt_project/macros/incremental.sql); the UI shows each month's status.
"""

import hashlib
import importlib.metadata
import json
import os
import shutil
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
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
from packaging import version

from orchestration.partitions import monthly, run_month_range
from orchestration.resources import PROJECT_ROOT, WAREHOUSE_POOL, KvarterStorage
from quality.disclosure_memory import remember_published
from sources import duckdb_limits

DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
INCREMENTAL = "config.materialized:incremental"
BEFORE_INCREMENTAL = "resource_type:seed staging"

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# `dagster dev` re-parses after a model changes; elsewhere `make` parses up front.
dbt_project.prepare_if_dev()


class KvarterDbtCli(DbtCliResource):
    """dagster-dbt's dbt CLI without two costs it has before a run's dbt steps (~5 s a run
    at city). It ran `dbt --version`, which starts dbt: for the venv's own dbt
    (orchestration/defs/resources.py) the installed dbt-core package says the version.
    It loaded a dbt adapter into the run's process before each invocation, used only by
    `fetch_row_counts` and `fetch_column_metadata`, which no step calls (dagster-dbt
    runs on without an adapter when loading one fails)."""

    @property
    def _cli_version(self) -> version.Version:
        if Path(self.dbt_executable).parent != Path(sys.executable).parent:
            return super()._cli_version  # another dbt: ask it
        return version.parse(importlib.metadata.version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None


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


def dbt_build_args(storage: KvarterStorage) -> list[str]:
    """`dbt build` against the storage's warehouse, within DuckDB's memory and thread
    bounds (the profile reads both as vars), without the unit tests. The vars are the
    same for every run of a deployment, so that each run reuses the last one's parse."""
    limits = duckdb_limits.settings(storage.warehouse_path)
    profile = {"warehouse": storage.warehouse_path, **{f"duckdb_{k}": v for k, v in limits.items()}}
    return ["build", *NOT_UNIT_TESTS, "--vars", json.dumps(profile)]


# The months a run changed reach dbt as these environment variables, which the models
# read only when executing (macros/incremental.sql: `run_month`): as `--vars` they would
# make dbt parse the whole project again in every run (3 steps x 2 s at city).
PERIOD_ENV = ("KVARTER_PERIOD_FROM", "KVARTER_PERIOD_TO")


@contextmanager
def months_in_environment(months: tuple[str, str] | None) -> Iterator[None]:
    """PERIOD_ENV set to `months` (unset without) while dbt's process is started."""
    saved = {name: os.environ.pop(name, None) for name in PERIOD_ENV}
    os.environ.update(dict(zip(PERIOD_ENV, months or ())))
    try:
        yield
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None)
            if value is not None:
                os.environ[name] = value


def parse_state(storage: KvarterStorage, project_dir: Path = DBT_PROJECT_DIR) -> Path:
    """dbt's partial-parse file of the last run on this warehouse from this checkout of
    the project: each run starts from it (the parse depends on the profile, which names
    the warehouse). One per checkout: the parse holds the files' absolute paths, and dbt
    reuses it when the files' contents match, so a parse made in another directory loads
    the seeds from there (gone, or another release's)."""
    checkout = hashlib.sha256(str(project_dir.resolve()).encode()).hexdigest()[:16]
    return Path(f"{storage.warehouse_path}.dbt") / checkout / "partial_parse.msgpack"


def _build(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    storage: KvarterStorage,
    args: list[str],
    months: tuple[str, str] | None = None,
) -> Iterator:
    """Run `dbt build` for the step, told the run's months, starting from the last run's
    parse of the project and leaving this run's for the next."""
    step, targets = context.op_execution_context.op.name, DBT_PROJECT_DIR / dbt_project.target_path
    prune_targets(targets, step)
    target = targets / f"{step}-{context.run.run_id[:8]}-{uuid.uuid4().hex[:7]}"
    with reusing_parse(parse_state(storage), target):
        with months_in_environment(months):
            invocation = dbt.cli(args, context=context, target_path=target)
        yield from invocation.stream()


# Each dbt step writes a folder of its own (manifest, compiled SQL, dbt.log: 5 MB at the
# demo), which failed steps' messages point at; the newest are kept for that.
KEPT_TARGETS = 20
PRUNE_AFTER_SECONDS = 3600


def prune_targets(targets: Path, step: str) -> None:
    """Remove the step's folders beyond its newest KEPT_TARGETS, left an hour ago or
    more (a younger one may be another run's, in progress): a deployment's refreshes
    would otherwise fill the disk, some 15 MB a run."""
    ages = {}
    for folder in targets.glob(f"{step}-*"):
        with suppress(FileNotFoundError):  # another run's prune took it meanwhile
            ages[folder] = time.time() - folder.stat().st_mtime
    for folder in sorted(ages, key=ages.get)[KEPT_TARGETS:]:
        if ages[folder] >= PRUNE_AFTER_SECONDS:
            shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def reusing_parse(state: Path, target: Path) -> Iterator[None]:
    """dbt started with `state`'s parse (if any) in its `target` folder, and the parse it
    leaves there kept as `state` for the next run."""
    if state.exists():
        target.mkdir(parents=True)
        shutil.copyfile(state, target / state.name)
    try:
        yield
    finally:
        # dbt writes the file only after a whole parse: kept also when a test failed.
        if (target / state.name).exists():
            state.parent.mkdir(parents=True, exist_ok=True)
            staged = state.with_suffix(f".{target.name}")
            shutil.copyfile(target / state.name, staged)
            staged.replace(state)
            prune_parses(state)


# A checkout's parse unused this long is a release's that was replaced (about 1 MB each).
PARSE_KEPT_DAYS = 30


def prune_parses(state: Path) -> None:
    """Remove the other checkouts' parses of this warehouse unused for PARSE_KEPT_DAYS."""
    for folder in state.parent.parent.iterdir():
        # Another run's prune may take it meanwhile; a stray file is left alone.
        with suppress(OSError):
            if (
                folder != state.parent
                and folder.is_dir()
                and time.time() - folder.stat().st_mtime > PARSE_KEPT_DAYS * 86400
            ):
                shutil.rmtree(folder)


class MonthlyBuild(dg.Config):
    """full_refresh rebuilds the incremental models from scratch (needed after a change of
    their columns); otherwise only the run's months and the rolling windows after them."""

    full_refresh: bool = False


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
    args = [*dbt_build_args(storage), "--indirect-selection", "cautious"]
    yield from _build(context, dbt, storage, args, run_month_range(context.run.tags))


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
    months = context.partition_key_range
    args = dbt_build_args(storage) + (["--full-refresh"] if config.full_refresh else [])
    yield from _build(context, dbt, storage, args, (months.start, months.end))


@dbt_assets(
    manifest=dbt_project.manifest_path,
    exclude=f"{BEFORE_INCREMENTAL} {INCREMENTAL}",
    dagster_dbt_translator=KvarterDbtTranslator(),
    pool=WAREHOUSE_POOL,
)
def dbt_marts(context: dg.AssetExecutionContext, dbt: DbtCliResource, storage: KvarterStorage):
    # The fact keeps publishing what the live copy publishes (quality/disclosure_memory.py).
    live = Path(storage.published_path)
    cells, before = remember_published(Path(storage.warehouse_path), live)
    context.log.info(f"{cells} cells published in the live copy or remembered by it, for the fact")
    if not live.exists() and before:
        context.log.warning(
            f"no live copy at {live}: the {before} cells the last one published are forgotten,"
            " and this copy may hide some of them (README, Disclosure control, Limits)"
        )
    yield from _build(context, dbt, storage, dbt_build_args(storage))


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
STATUTORY_THRESHOLDS = dbt_key("statutory_thresholds")
PROFILE = dbt_key("kvarterprofil")
CATALOGUE = dbt_key("indicator_catalogue")
DIM_INDICATOR = dbt_key("dim_indicator")
DISCLOSURE_RULES = dbt_key("disclosure_rules")
DISCLOSURE_RELATIONS = dbt_key("disclosure_relations")
DISCLOSURE_STOCK_FLOWS = dbt_key("disclosure_stock_flows")
CONTACTS = dbt_key("department_contacts")
