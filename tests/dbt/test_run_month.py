"""Which months a dbt run is told (macro `run_month`, dbt_project/macros/incremental.sql):
the orchestration's environment variables, or the vars of a run by hand, never a mix."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.defs.dbt import PERIOD_ENV, months_in_environment

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"


def told(tmp_path: Path, dbt_vars: dict, env: dict) -> str:
    """The months as `run_month` reads them when executing: 'first last'."""
    args = ["compile", "--profiles-dir", ".", "--quiet", "--target-path", str(tmp_path)]
    args += [
        "--log-path",
        str(tmp_path),
        "--inline",
        "{{ run_month('from') }} {{ run_month('to') }}",
    ]
    args += ["--vars", json.dumps({"warehouse": str(tmp_path / "w.duckdb"), **dbt_vars})]
    run = subprocess.run([DBT, *args], cwd=DBT_DIR, capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stdout
    return run.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    ("months", "dbt_vars", "expected"),
    [
        # As the orchestration tells a run its months.
        (("2025-01-01", "2025-03-01"), {}, "2025-01-01 2025-03-01"),
        # By hand: the vars, without a bound from the environment...
        (("2024-06-01", "2025-09-01"), {"period_from": "2025-02-01"}, "2025-02-01 2025-02-01"),
        (
            ("2024-06-01", "2025-09-01"),
            {"period_from": "2025-02-01", "period_to": "2025-04-01"},
            "2025-02-01 2025-04-01",
        ),
        # ...and told nothing: every month.
        (None, {}, "None None"),
    ],
)
def test_a_run_is_told_its_months_by_the_environment_or_by_vars(
    tmp_path, monkeypatch, months, dbt_vars, expected
):
    for name in PERIOD_ENV:
        monkeypatch.delenv(name, raising=False)
    with months_in_environment(months):
        env = dict(os.environ)
    assert told(tmp_path, dbt_vars, env) == expected
