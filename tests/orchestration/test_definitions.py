import dagster as dg

from orchestration.dbt_assets import RefreshWindow, dbt_build_args
from orchestration.definitions import defs
from orchestration.jobs import refresh_config
from sources.registry import ALL_CONTRACTS

DBT_MODELS = {
    "intermediate/int_person_months",
    "intermediate/int_area_months",
    "intermediate/int_indicators__employment",
    "intermediate/int_indicators__children_youth",
    "intermediate/int_indicators__housing",
    "intermediate/int_indicators__health",
    "intermediate/int_indicators__population",
    "intermediate/int_indicators__yearly",
    "intermediate/int_indicators__national_ratios",
    "restricted/restricted_area_indicator_month",
    "restricted/restricted_unplaced_records",
    "marts/fct_area_indicator_month",
    "marts/dim_area",
    "marts/dim_area_geometry",
    "marts/dim_housing_department",
    "marts/dim_indicator",
    "marts/statutory_criteria",
    "marts/kvarterprofil",
    "reference/statutory_thresholds",
    "reference/indicator_catalogue",
    "reference/benefit_types",
    "reference/department_contacts",
    "reference/disclosure_rules",
    "reference/disclosure_links",
    "reference/disclosure_relations",
    "staging/stg_extract__deliveries",
}


def test_every_asset_is_defined():
    graph = defs.resolve_asset_graph()
    keys = {k.to_user_string() for k in graph.get_all_asset_keys()}
    extracts = {f"{c.system}/{c.entity}" for c in ALL_CONTRACTS}
    assert (
        len(extracts) == 18
    )  # 3 population, 2 employment, 5 children_youth, 4 housing, 3 health, 1 national
    staging = {f"staging/stg_{c.system}__{c.entity}" for c in ALL_CONTRACTS}
    expected = (
        extracts
        | staging
        | DBT_MODELS
        | {
            "extract/deliveries",
            "published_marts",
            "area_signals",
            "alert_emails",
        }
    )
    assert keys == expected
    partitions = {
        k.to_user_string(): graph.get(k).partitions_def.get_serializable_unique_identifier()
        for k in graph.get_all_asset_keys()
        if k.to_user_string() in extracts
    }
    assert partitions["national/area_statistics"] == partitions["children_youth/grade9_exams"]
    assert partitions["national/area_statistics"] != partitions["population/residents"]


def test_lineage_runs_from_extract_to_alert():
    graph = defs.resolve_asset_graph()

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
    assert "area_signals" in parents("alert_emails")


def test_quality_checks_are_blocking_and_defined():
    graph = defs.resolve_asset_graph()
    checks = {(k.asset_key.to_user_string(), k.name) for k in graph.asset_check_keys}
    assert ("marts/fct_area_indicator_month", "gx_published_indicator_suite") in checks
    assert ("restricted/restricted_area_indicator_month", "gx_restricted_indicator_suite") in checks
    # dbt tests arrive as checks too
    assert any(name.startswith("not_greater_than") for _, name in checks)
    fact_checks = {name for key, name in checks if key == "marts/fct_area_indicator_month"}
    assert any(name.startswith("share_is_proportion") for name in fact_checks)
    assert any(name.startswith("numerator_within_denominator") for name in fact_checks)
    assert ("published_marts", "disclosure_audit") in checks
    for key in graph.asset_check_keys:
        if key.name.startswith("gx_") or key.name == "disclosure_audit":
            assert graph.get_check_spec(key).blocking


def test_jobs_schedule_and_sensor_resolve():
    assert defs.resolve_job_def("monthly_extract").partitions_def is not None
    refresh = defs.resolve_job_def("refresh_marts_and_alerts")
    assert refresh.partitions_def is None
    schedule = defs.resolve_schedule_def("monthly_extract_schedule")
    assert schedule.cron_schedule == "0 6 5 * *"
    assert defs.resolve_sensor_def("refresh_after_extract") is not None
    assert defs.resolve_sensor_def("landing_sensor") is not None
    assert defs.resolve_schedule_def("yearly_schedule").cron_schedule == "0 6 1 8 *"
    assert defs.resolve_job_def("yearly_extract").partitions_def is not None


def window(config: dict) -> dict:
    return config["ops"]["kvarter_dbt_assets"]["config"]


def test_an_extract_run_becomes_the_refresh_window_of_its_months():
    single = refresh_config("monthly_extract", {"dagster/partition": "2025-03-01"})
    assert window(single) == {"period_from": "2025-03-01", "period_to": "2025-03-01"}
    backfill = refresh_config(
        "monthly_extract",
        {
            "dagster/asset_partition_range_start": "2024-01-01",
            "dagster/asset_partition_range_end": "2024-06-01",
        },
    )
    assert window(backfill) == {"period_from": "2024-01-01", "period_to": "2024-06-01"}
    yearly = refresh_config("yearly_extract", {"dagster/partition": "2025-01-01"})
    assert window(yearly) == {"period_from": "2025-01-01", "period_to": "2025-12-01"}


def test_a_window_builds_incrementally_and_no_window_refreshes_fully():
    assert dbt_build_args(RefreshWindow()) == ["build", "--full-refresh"]
    assert dbt_build_args(RefreshWindow(period_from="2025-03-01")) == [
        "build",
        "--vars",
        '{"period_from": "2025-03-01", "period_to": "2025-03-01"}',
    ]
