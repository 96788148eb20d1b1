"""Every dbt unit test passes. The pipeline's builds leave them out (orchestration/defs/
dbt.py: they test logic on fixtures, not data), so they run here, on a warehouse whose
models exist but are empty (`dbt build --empty`): dbt reads the inputs' column types
from the warehouse."""

import json
import subprocess
import sys
from pathlib import Path

import duckdb

from sources.registry import ALL_CONTRACTS
from sources.warehouse import create_raw_tables

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
DBT = Path(sys.executable).parent / "dbt"


def test_every_dbt_unit_test_passes(tmp_path):
    warehouse = tmp_path / "wh.duckdb"
    with duckdb.connect(str(warehouse)) as con:
        create_raw_tables(con, ALL_CONTRACTS)
    common = ["--profiles-dir", ".", "--target-path", str(tmp_path / "target")]
    common += ["--vars", json.dumps({"warehouse": str(warehouse)})]

    def dbt(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([DBT, *args, *common], cwd=DBT_DIR, capture_output=True, text=True)

    # kvarterprofil's columns are pivoted from its rows, so it cannot be built empty; no
    # unit test reads it.
    empty = dbt(
        "build", "--empty", "--exclude-resource-type", "unit_test", "--exclude", "kvarterprofil"
    )
    assert empty.returncode == 0, empty.stdout
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    unit_tests = len(manifest["unit_tests"])
    assert unit_tests >= 20  # the indicators', restricted models' and marts' tests
    # dbt counts the project's on-run-start hooks among what passed.
    hooks = sum(n["resource_type"] == "operation" for n in manifest["nodes"].values())
    assert hooks == 3
    tested = dbt("test", "--select", "test_type:unit")
    assert tested.returncode == 0, tested.stdout
    assert f"PASS={unit_tests + hooks} WARN=0 ERROR=0 SKIP=0" in tested.stdout
