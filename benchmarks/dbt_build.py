"""Time of a full `dbt build` (models, seeds, data and unit tests) and of a monthly
increment at one scale.

    .venv/bin/python -m benchmarks.dbt_build --scale small [--repeat 3]

Generates and extracts the municipality once (as benchmarks/sources.py does), then runs
the dbt project against that warehouse `--repeat` times, each in a fresh dbt process, the
way the refresh job invokes it: a full refresh, then the increment a monthly partition
run makes (the latest month in KVARTER_PERIOD_FROM/TO, which rebuilds that month in every
incremental model; the same vars as the full refresh, so its parse is reused). Results
are appended to benchmarks/results/dbt_build.jsonl.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.record import append
from benchmarks.sources import EXTRACT, GENERATE, _phase
from orchestration.defs.dbt import months_in_environment
from sources import duckdb_limits

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results" / "dbt_build.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="small")
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    data = Path(tempfile.mkdtemp(prefix=f"kvarter-dbt-{args.scale}-"))
    try:
        _phase(GENERATE.format(landing=str(data / "landing"), scale=args.scale))
        _phase(EXTRACT.format(data=str(data)))
        warehouse = str(data / "warehouse.duckdb")
        env = {"KVARTER_WAREHOUSE": warehouse, **duckdb_limits.dbt_env(warehouse)}
        dbt = Path(sys.executable).parent / "dbt"
        latest = max((data / "landing" / "employment").glob("????-??")).name + "-01"

        def build(*extra: str, months: tuple[str, str] | None = None) -> float:
            started = time.perf_counter()
            with months_in_environment(months):
                subprocess.run(
                    [dbt, "build", "--profiles-dir", ".", "--target-path", str(data / "target")]
                    + ["--quiet", *extra],
                    cwd=ROOT / "dbt_project",
                    env={**os.environ, **env},
                    check=True,
                )
            return round(time.perf_counter() - started, 1)

        seconds, increments = [], []
        for _ in range(args.repeat):
            seconds.append(build("--full-refresh"))
            increments.append(build(months=(latest, latest)))
    finally:
        shutil.rmtree(data, ignore_errors=True)
    record = {
        "scale": args.scale,
        "full_build_seconds": seconds,
        "median_full_build_s": statistics.median(seconds),
        "increment_month": latest,
        "increment_seconds": increments,
        "median_increment_s": statistics.median(increments),
    }
    append(RESULTS, record)


if __name__ == "__main__":
    main()
