"""dbt parse and sqlfluff lint of dbt_project/ (the same commands a developer runs)."""

import json
import os
import subprocess
import sys
from pathlib import Path

DBT_DIR = Path(__file__).resolve().parents[2] / "dbt_project"
BIN = Path(sys.executable).parent


def run(args, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DO_NOT_TRACK"}  # as a daemon might
    env["KVARTER_WAREHOUSE"] = str(tmp_path / "lint.duckdb")
    return subprocess.run(args, cwd=DBT_DIR, env=env, capture_output=True, text=True)


def test_dbt_parse(tmp_path):
    result = run(
        [BIN / "dbt", "parse", "--profiles-dir", ".", "--target-path", str(tmp_path / "target")],
        tmp_path,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The project turns dbt's usage statistics off itself, not only DO_NOT_TRACK.
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    assert manifest["metadata"]["send_anonymous_usage_stats"] is False


def test_sqlfluff_lint_is_clean(tmp_path):
    # The dbt templater compiles every model against the database; kvarterprofil reads
    # the indicator catalogue while compiling, so the seeds must be there first.
    seeded = run(
        [BIN / "dbt", "seed", "--profiles-dir", ".", "--target-path", str(tmp_path / "target")],
        tmp_path,
    )
    assert seeded.returncode == 0, seeded.stdout + seeded.stderr
    result = run([BIN / "sqlfluff", "lint", "models", "--nocolor"], tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Skipped file" not in result.stdout + result.stderr
