"""The code location as Dagster loads it from orchestration/defs/.

`code_location.txt` beside this file is a snapshot of every asset (group, partitions,
concurrency pool, parents), check, job, schedule and sensor. A change to the graph shows
up as a diff of that file; after a deliberate change, rewrite it with
`KVARTER_UPDATE_SNAPSHOT=1 .venv/bin/pytest tests/orchestration/test_definitions.py`.
"""

import json
import os
import subprocess
from pathlib import Path

import dagster as dg
import pytest

from orchestration.defs.automation import refreshed_months
from orchestration.defs.dbt import PERIOD_ENV, dbt_build_args, months_in_environment, parse_state
from orchestration.resources import WAREHOUSE_POOL, KvarterStorage
from sources.registry import ALL_CONTRACTS

SNAPSHOT = Path(__file__).with_name("code_location.txt")


def partitions(definition) -> str:
    if definition is None:
        return "-"
    return type(definition).__name__.replace("PartitionsDefinition", "").lower() or "time"


def describe(defs: dg.Definitions) -> str:
    graph = defs.resolve_asset_graph()
    lines = ["# assets: key | group | partitions | pool | parents"]
    for key in sorted(graph.get_all_asset_keys(), key=lambda k: k.to_user_string()):
        node = graph.get(key)
        pool = node.pools and ",".join(sorted(node.pools)) if node.is_materializable else "-"
        parents = ",".join(sorted(p.to_user_string() for p in node.parent_keys))
        lines.append(
            f"{key.to_user_string()} | {node.group_name} | "
            f"{partitions(node.partitions_def)} | {pool or '-'} | {parents}"
        )
    lines.append("# checks: asset | name | blocking")
    for check in sorted(graph.asset_check_keys, key=lambda k: (k.asset_key.path, k.name)):
        blocking = graph.get_check_spec(check).blocking
        lines.append(f"{check.asset_key.to_user_string()} | {check.name} | {blocking}")
    lines.append("# jobs: name | partitions")
    for job in sorted(defs.resolve_all_job_defs(), key=lambda j: j.name):
        if not job.name.startswith("__"):
            lines.append(f"{job.name} | {partitions(job.partitions_def)}")
    lines.append("# schedules and sensors")
    for name in sorted(s.name for s in defs.schedules):
        lines.append(f"schedule {name} | {defs.resolve_schedule_def(name).cron_schedule}")
    for sensor in sorted(defs.sensors, key=lambda s: s.name):
        lines.append(f"sensor {sensor.name} | {sensor.default_status.value}")
    return "\n".join(lines) + "\n"


def test_the_code_location_matches_its_snapshot(code_location):
    now = describe(code_location)
    if os.environ.get("KVARTER_UPDATE_SNAPSHOT"):
        SNAPSHOT.write_text(now)
    assert now == SNAPSHOT.read_text(), f"the code location changed: see {SNAPSHOT.name}"


def test_every_source_entity_is_one_extract_asset_with_its_cadence(code_location):
    graph = code_location.resolve_asset_graph()
    assert len(ALL_CONTRACTS) == 18
    for contract in ALL_CONTRACTS:
        node = graph.get(dg.AssetKey([contract.system, contract.entity]))
        cadence = "monthly" if contract.cadence == "monthly" else "timewindow"
        assert partitions(node.partitions_def) == cadence, contract.table


def test_monthly_models_are_partitioned_and_backfill_in_one_run(code_location):
    graph = code_location.resolve_asset_graph()
    incremental = [k for k in graph.get_all_asset_keys() if k.path[0] == "intermediate"]
    incremental.append(dg.AssetKey(["restricted", "restricted_area_indicator_month"]))
    assert len(incremental) == 10
    for key in incremental:
        node = graph.get(key)
        assert partitions(node.partitions_def) == "monthly", key
        assert node.backfill_policy == dg.BackfillPolicy.single_run(), key
    for key in graph.get_all_asset_keys():
        if key.path[0] in ("marts", "reference", "staging"):
            assert graph.get(key).partitions_def is None, key


def test_every_step_that_opens_the_warehouse_is_in_its_pool(code_location):
    graph = code_location.resolve_asset_graph()
    for key in graph.materializable_asset_keys:
        assert graph.get(key).pools == {WAREHOUSE_POOL}, key


def test_lineage_runs_from_extract_to_alert(code_location):
    graph = code_location.resolve_asset_graph()

    def parents(key):
        return {
            p.to_user_string() for p in graph.get(dg.AssetKey.from_user_string(key)).parent_keys
        }

    assert parents("staging/stg_employment__benefits") == {"employment/benefits"}
    assert "staging/stg_employment__benefits" in parents("intermediate/int_indicators__employment")
    assert "intermediate/int_indicators__employment" in parents(
        "restricted/restricted_area_indicator_month"
    )
    assert "marts/fct_area_indicator_month" in parents("area_signals")
    assert "area_signals" in parents("alert_episodes")
    # The publish shows the episodes; a mail server that is down (alert_emails) never
    # holds it back.
    assert "alert_episodes" in parents("alert_emails")
    assert "alert_episodes" in parents("published_marts")
    assert "alert_emails" not in parents("published_marts")
    # The digests go out only after the disclosure audit passed (a failed one skips them).
    assert "published_marts" in parents("alert_emails")


def test_quality_checks_are_blocking(code_location):
    graph = code_location.resolve_asset_graph()
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert ("marts/fct_area_indicator_month", "gx_published_indicator_suite") in checks
    assert ("restricted/restricted_area_indicator_month", "gx_restricted_indicator_suite") in checks
    assert ("published_marts", "disclosure_audit") in checks
    fact_checks = {name for key, name in checks if key == "marts/fct_area_indicator_month"}
    assert any(name.startswith("numerator_within_denominator") for name in fact_checks)
    for key in graph.asset_check_keys:
        if key.name.startswith("gx_") or key.name == "disclosure_audit":
            assert graph.get_check_spec(key).blocking


@pytest.mark.parametrize(
    ("job", "tags", "months"),
    [
        # A month also feeds the next one's lettings (a tenancy new to its snapshot).
        ("monthly_extract", {"dagster/partition": "2025-03-01"}, ("2025-03-01", "2025-04-01")),
        (
            "monthly_extract",
            {
                "dagster/asset_partition_range_start": "2024-07-01",
                "dagster/asset_partition_range_end": "2024-12-01",
            },
            ("2024-07-01", "2025-01-01"),
        ),
        # A yearly delivery feeds every month of its year.
        ("yearly_extract", {"dagster/partition": "2025-01-01"}, ("2025-01-01", "2025-12-01")),
    ],
)
def test_an_extract_run_refreshes_the_months_it_loaded(job, tags, months):
    assert refreshed_months(job, tags) == months


def test_dbt_gets_the_warehouse_as_vars_and_the_months_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("KVARTER_DUCKDB_MEMORY_LIMIT", "2GB")
    monkeypatch.setenv("KVARTER_DUCKDB_THREADS", "1")
    monkeypatch.delenv("KVARTER_DUCKDB_TEMP_DIR", raising=False)
    monkeypatch.setenv("KVARTER_PERIOD_FROM", "2020-01-01")  # a user's, kept
    monkeypatch.delenv("KVARTER_PERIOD_TO", raising=False)
    storage = KvarterStorage.under(tmp_path)
    warehouse = str(tmp_path / "warehouse.duckdb")
    profile = {
        "warehouse": warehouse,
        "duckdb_memory_limit": "2GB",
        "duckdb_threads": "1",
        "duckdb_temp_directory": warehouse + ".tmp",
    }
    command, *no_unit_tests, flag, dbt_vars = dbt_build_args(storage)
    assert (command, flag, json.loads(dbt_vars)) == ("build", "--vars", profile)
    assert no_unit_tests == ["--exclude-resource-type", "unit_test"]
    with months_in_environment(("2025-01-01", "2025-03-01")):
        assert [os.environ.get(name) for name in PERIOD_ENV] == ["2025-01-01", "2025-03-01"]
    with months_in_environment(None):
        assert [os.environ.get(name) for name in PERIOD_ENV] == [None, None]
    assert [os.environ.get(name) for name in PERIOD_ENV] == ["2020-01-01", None]
    state = parse_state(storage)
    assert state.parent.parent == tmp_path / "warehouse.duckdb.dbt"
    assert state.name == "partial_parse.msgpack"


def test_the_dbt_resource_runs_dbt_without_an_adapter_in_the_run_process(code_location, tmp_path):
    dbt = code_location.resources["dbt"]
    dbt_vars = json.dumps({"warehouse": str(tmp_path / "w.duckdb")})
    invocation = dbt.cli(["parse", "--vars", dbt_vars], target_path=tmp_path / "target")
    assert invocation.wait().is_successful()
    assert invocation.adapter is None
    assert invocation.get_artifact("manifest.json")["nodes"]
    # The version it takes from the installed package is the executable's own.
    asked = subprocess.run([dbt.dbt_executable, "--version"], capture_output=True, text=True)
    assert f"installed: {dbt._cli_version}" in asked.stdout
