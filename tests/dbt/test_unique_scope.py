"""A refresh of some months tests uniqueness only in those months (and later ones)."""

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb

from orchestration.defs.dbt import months_in_environment
from orchestration.partitions import month_range_tags, run_month_range
from sources.population import ADDRESSES, RESIDENTS
from sources.warehouse import create_raw_tables

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"
TEST = "unique_combination_int_person_months_period__person_key"


def build_person_months(tmp_path: Path, warehouse: Path, months: dict, *flags: str, by_hand=False):
    """dbt told `months` as the orchestration tells it (environment variables, read when
    executing) or, `by_hand`, as vars."""
    args = ["build", "--select", "+int_person_months", "--profiles-dir", "."]
    args += ["--target-path", str(tmp_path / "target"), "--log-path", str(tmp_path), *flags]
    dbt_vars = {"warehouse": str(warehouse), **(months if by_hand else {})}
    with months_in_environment(None if by_hand else (months["period_from"], months["period_to"])):
        env = dict(os.environ)
    args += ["--vars", json.dumps(dbt_vars)]
    return subprocess.run([DBT, *args], cwd=DBT_DIR, capture_output=True, text=True, env=env)


def test_a_duplicate_is_found_only_when_its_month_is_refreshed(tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        create_raw_tables(con, (RESIDENTS, ADDRESSES))
        # On 1 January the person lives at two addresses at once; February is clean.
        p1 = "uuid '00000000-0000-0000-0000-000000000001'"
        con.execute(
            f"insert into raw.{RESIDENTS.table} (person_key, address_id, move_in_date, period) "
            f"values ({p1}, 'a1', date '2020-05-01', date '2025-01-01'), "
            f"({p1}, 'a2', date '2020-05-01', date '2025-01-01'), "
            f"({p1}, 'a1', date '2020-05-01', date '2025-02-01')"
        )
    february = {"period_from": "2025-02-01", "period_to": "2025-02-01"}
    january = {"period_from": "2025-01-01", "period_to": "2025-01-01"}

    passed = build_person_months(tmp_path, warehouse, february)
    assert passed.returncode == 0, passed.stdout
    for failed in (
        build_person_months(tmp_path, warehouse, january),
        build_person_months(tmp_path, warehouse, february, "--full-refresh"),
        build_person_months(tmp_path, warehouse, january, by_hand=True),
    ):
        assert failed.returncode == 1
        assert f"FAIL 1 {TEST}" in failed.stdout
    # Other months in the environment reuse the first run's parse of the project.
    log = (tmp_path / "dbt.log").read_text()
    assert log.count("Partial parsing enabled, no changes found, skipping parsing") == 2


def test_run_month_range_reads_a_range_or_a_partition():
    assert run_month_range(month_range_tags("2025-01-01", "2025-03-01")) == (
        "2025-01-01",
        "2025-03-01",
    )
    assert run_month_range({"dagster/partition": "2025-02-01"}) == ("2025-02-01", "2025-02-01")
    assert run_month_range({"other": "x"}) is None
