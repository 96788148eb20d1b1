"""Incremental monthly builds through Dagster equal a full refresh.

The demo municipality arrives month by month: a first load up to October 2025, the yearly
deliveries, then November and December as their own partitions, then a restatement of
March 2025 (fewer benefit spells and notifications, which moves the rolling 12-month
windows that hold March). After each extract run the `refresh_after_extract` sensor asks
for a refresh run of the months it loaded, which runs those monthly dbt partitions. A full
refresh afterwards must reproduce every intermediate, restricted and mart table row for row.
Each refresh publishes a copy; each copy must hold every cell the one before published.
Last, a June delivery that leaves an area out is refused at publish, and its repair
publishes the copy before it again.
"""

import datetime as dt
import json
from typing import NamedTuple

import dagster as dg
import duckdb
import pytest

from orchestration.defs.automation import refresh_after_extract
from orchestration.defs.dbt import DBT_PROJECT_DIR
from orchestration.partitions import month_range_tags, monthly
from orchestration.pipeline import FULL_REFRESH
from orchestration.resources import KvarterStorage
from sources.children_youth import NOTIFICATIONS
from sources.employment import BENEFITS
from sources.landing import delivery_path
from sources.population import ADDRESSES, AREAS
from sources.synthetic.municipality import generate

RESTATED = dt.date(2025, 3, 1)
LEFT_OUT = dt.date(2025, 6, 1)  # a month whose delivery leaves an area out
SCHEMAS = ("intermediate", "restricted", "marts")


def drop_every_third_row(path):
    """A corrected delivery: the same file with a third of its data rows gone."""
    header, *rows = path.read_bytes().rstrip(b"\r\n").split(b"\r\n")
    kept = [row for i, row in enumerate(rows) if i % 3]
    path.write_bytes(b"\r\n".join([header, *kept]) + b"\r\n")


def leave_out_area(addresses, areas, area: str) -> None:
    """A month's address register with the area's id blanked on its addresses (counted
    outside the areas then), and its area file without the area."""
    lines = addresses.read_bytes().split(b"\r\n")
    for i, line in enumerate(lines):
        fields = line.split(b";")
        if len(fields) > 3 and fields[3] == area.encode():
            fields[3] = b""
            lines[i] = b";".join(fields)
    addresses.write_bytes(b"\r\n".join(lines))
    collection = json.loads(areas.read_bytes())
    collection["features"] = [
        f for f in collection["features"] if f["properties"]["boligomraade_id"] != area
    ]
    areas.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")


class Copy(NamedTuple):
    shown: dict[tuple, tuple]  # (area, month, indicator) -> (numerator, denominator)
    hidden: set[tuple]  # (area, month, indicator)


def published_copy(storage) -> Copy:
    with duckdb.connect(storage.published_path, read_only=True) as con:
        rows = con.execute(
            "select area_id, period, indicator_id, numerator, denominator, suppressed"
            " from fct_area_indicator_month"
        ).fetchall()
    return Copy(
        shown={row[:3]: row[3:5] for row in rows if not row[5]},
        hidden={row[:3] for row in rows if row[5]},
    )


def snapshot(storage) -> dict[str, list[tuple]]:
    with duckdb.connect(storage.warehouse_path, read_only=True) as con:
        tables = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            f"where table_schema in {SCHEMAS} and table_type = 'BASE TABLE' order by 1"
        ).fetchall()
        return {t: con.execute(f"select * from {t} order by all").fetchall() for (t,) in tables}


@pytest.fixture(scope="module")
def builds(tmp_path_factory, code_location, wire):
    storage = KvarterStorage.under(tmp_path_factory.mktemp("incremental"))
    generate(storage.landing, seed=42)
    instance = dg.DagsterInstance.ephemeral()
    refresh = code_location.resolve_job_def("refresh_marts_and_alerts")
    with wire(storage) as storage:
        windows, copies, withdrawn = [], [], []

        def extract_then_refresh(job: str, tags: dict[str, str]) -> None:
            extract = code_location.resolve_job_def(job).execute_in_process(
                instance=instance, tags=tags
            )
            request = refresh_after_extract(
                dg.build_run_status_sensor_context(
                    sensor_name="refresh_after_extract",
                    dagster_event=extract.get_run_success_event(),
                    dagster_instance=instance,
                    dagster_run=extract.dagster_run,
                )
            )
            windows.append(
                {
                    "period_from": request.tags["dagster/asset_partition_range_start"],
                    "period_to": request.tags["dagster/asset_partition_range_end"],
                }
            )
            run = refresh.execute_in_process(instance=instance, tags=request.tags)
            assert run.success
            copies.append(published_copy(storage))
            [published] = [
                e.materialization.metadata
                for e in run.get_asset_materialization_events()
                if e.asset_key.to_user_string() == "published_marts"
            ]
            withdrawn.append(
                (
                    published["cells_withdrawn_restated"].value,
                    published["cells_withdrawn_gone"].value,
                )
            )
            dbt_months = {
                e.partition
                for e in run.get_asset_materialization_events()
                if e.asset_key.to_user_string() == "restricted/restricted_area_indicator_month"
            }
            assert dbt_months == set(
                monthly.get_partition_keys_in_range(
                    dg.PartitionKeyRange(windows[-1]["period_from"], windows[-1]["period_to"])
                )
            )
            # dbt was told the months: the SQL it ran names the first (a build told
            # nothing would rebuild and test every month, to the same tables).
            [results] = (DBT_PROJECT_DIR / "target").glob(
                f"dbt_monthly-{run.run_id[:8]}-*/run_results.json"
            )
            ran = json.loads(results.read_text())["results"]
            compiled = [r.get("compiled_code") or "" for r in ran]
            assert any(f"'{windows[-1]['period_from']}'" in sql for sql in compiled)

        months = month_range_tags

        extract_then_refresh("monthly_extract", months("2024-01-01", "2025-10-01"))
        extract_then_refresh("yearly_extract", months("2024-01-01", "2025-01-01"))
        for month in ("2025-11-01", "2025-12-01"):
            extract_then_refresh("monthly_extract", {"dagster/partition": month})
        before_restatement = snapshot(storage)
        drop_every_third_row(delivery_path(storage.landing, BENEFITS, RESTATED))
        drop_every_third_row(delivery_path(storage.landing, NOTIFICATIONS, RESTATED))
        extract_then_refresh("monthly_extract", {"dagster/partition": f"{RESTATED}"})
        incremental = snapshot(storage)

        full = refresh.execute_in_process(
            run_config=FULL_REFRESH, instance=instance, tags=months("2024-01-01", "2025-12-01")
        )
        assert full.success
        copies.append(published_copy(storage))
        after_full = snapshot(storage)

        # BO05 left out of June's address register and area file, then delivered again.
        june = {p: p.read_bytes() for p in (
            delivery_path(storage.landing, ADDRESSES, LEFT_OUT),
            delivery_path(storage.landing, AREAS, LEFT_OUT),
        )}  # fmt: skip
        leave_out_area(*june, "BO05")
        extract = code_location.resolve_job_def("monthly_extract").execute_in_process(
            instance=instance, tags={"dagster/partition": f"{LEFT_OUT}"}
        )
        refused = refresh.execute_in_process(
            instance=instance, tags=months(f"{LEFT_OUT}", "2025-12-01"), raise_on_error=False
        )
        assert extract.success and not refused.success
        [failure] = refused.get_step_failure_events()
        area_left_out = (failure.step_failure_data.error.message, published_copy(storage))
        for path, data in june.items():
            path.write_bytes(data)
        extract_then_refresh("monthly_extract", {"dagster/partition": f"{LEFT_OUT}"})
        area_left_out += (copies.pop(),)
        # The repair's window and withdrawals: the tests above follow the runs before it.
        windows.pop()
        withdrawn.pop()
        yield (
            windows,
            before_restatement,
            incremental,
            after_full,
            copies,
            withdrawn,
            area_left_out,
        )


def test_each_extract_reaches_dbt_as_its_months(builds):
    windows, *_ = builds
    # A monthly extract's months and the month after (its lettings read their snapshot).
    assert windows == [
        {"period_from": "2024-01-01", "period_to": "2025-11-01"},
        {"period_from": "2024-01-01", "period_to": "2025-12-01"},  # yearly: whole years
        {"period_from": "2025-11-01", "period_to": "2025-12-01"},
        {"period_from": "2025-12-01", "period_to": "2026-01-01"},
        {"period_from": "2025-03-01", "period_to": "2025-04-01"},
    ]


def test_incremental_builds_equal_a_full_refresh(builds):
    _, _, incremental, full, *_ = builds
    assert sorted(incremental) == sorted(full)
    assert "marts.fct_area_indicator_month" in full and "marts.kvarterprofil" in full
    for table, rows in full.items():
        assert incremental[table] == rows, table


def test_the_restatement_moved_its_month_and_the_rolling_windows_after_it(builds):
    """The comparison is not vacuous: the restated March changed March's benefit FTE only,
    and the 12-month notification rates of March to December, nothing before March."""
    _, before, incremental, *_ = builds

    def changed(indicator: str) -> set[dt.date]:
        table = "restricted.restricted_area_indicator_month"
        old = {r for r in before[table] if r[2] == indicator}
        new = {r for r in incremental[table] if r[2] == indicator}
        return {r[1] for r in old ^ new}

    assert changed("emp_benefit_fte") == {RESTATED}
    assert changed("cy_notifications") == {dt.date(2025, m, 1) for m in range(3, 13)}
    assert changed("hou_turnover") == set()


def test_each_copy_publishes_every_cell_of_the_copy_before(builds):
    """The memory (README, "Disclosure control"): a published cell stays published with
    its value, so the newest copy holds every earlier one. Only the restatement changes
    values (March's employment indicators, built on the benefit spells, and the
    notification windows of March to December), and only those cells may be withdrawn
    (judged afresh): cells whose value in the warehouse changed, or the municipality's
    where an area's did."""
    _, before_restatement, incremental, _, copies, withdrawn, _ = builds
    # October's first load, the yearly data, November, December, March, the full refresh
    assert len(copies) == 6
    shown = [copy.shown for copy in copies]
    for before, after in zip(shown[:3], shown[1:4]):
        assert len(after) > len(before) > 1_000
        assert all(after.get(cell) == values for cell, values in before.items())
    before, after, full = shown[3:]
    assert full == after
    changed = {cell for cell, values in before.items() if after.get(cell) != values}
    assert changed  # the comparison saw the restatement
    table = "restricted.restricted_area_indicator_month"
    restated = {r[:3] for r in set(before_restatement[table]) ^ set(incremental[table])}
    restated |= {("municipality", month, indicator) for _, month, indicator in restated}
    assert changed <= restated
    # Each publish says in its metadata how many cells it withdrew (here none is hidden
    # now: the restated values stay published; tests/orchestration/test_publish.py has
    # a copy that withdraws some).
    hidden_now = sum(cell not in after for cell in before)
    assert withdrawn == [(0, 0)] * 4 + [(hidden_now, 0)]
    assert all(
        (indicator.startswith("emp_") and month == RESTATED)  # from the benefit spells
        or (indicator == "cy_notifications" and month >= RESTATED)
        for _, month, indicator in changed
    )


def test_a_cell_a_copy_hid_stays_hidden_in_every_later_copy(builds):
    """The memory of hidden cells (README, "Disclosure control"): only the restatement of
    March changes values, and a cell hidden before it stays hidden after it, also in the
    full refresh, so no pair of copies shows a hidden cell's value before and after."""
    *_, copies, _, _ = builds
    for before, after in zip(copies, copies[1:]):
        assert before.hidden <= after.hidden
    assert len(copies[3].hidden) > 100


def test_a_copy_that_shows_where_an_area_left_outs_hidden_cells_went_is_not_published(builds):
    """June's delivery leaves BO05 out (its addresses without an area, the area file
    without it): its people are counted outside, its hidden cells are gone, and the
    changes of outside and the total would give them away (the twenty-sixth session's
    attack read 33 of BO05's 54 hidden cells exactly). The refresh fails closed, naming
    them, and the live copy stays; delivered again, June publishes as before."""
    *_, copies, _, (message, while_refused, after_repair) = builds
    assert "BO05 2025-06 hidden in the live copy, gone now, while" in message
    assert "outside 2025-06 shows a value the live copy did not" in message
    assert while_refused == copies[-1] == after_repair
