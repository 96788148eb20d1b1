"""Generation and extraction time and peak memory of the source layer, at one scale.

    .venv/bin/python -m benchmarks.sources --scale small [--repeat 3] [--generate-only]
    .venv/bin/python -m benchmarks.sources --scale small --landing /tmp/small/data/landing

With --landing an existing landing zone is extracted (linked in, only read) instead of
generating one, so before/after runs extract the very same deliveries.

Each phase runs in its own process so peak memory (max RSS) is that phase's alone.
Extraction goes through Dagster (the monthly and yearly extract jobs as one backfill
run each), with the synthetic health API served on localhost, exactly as `kvarter run`.
Results are appended to benchmarks/results/sources.jsonl.
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

RESULTS = Path(__file__).parent / "results" / "sources.jsonl"


def _schedstat(pid: int) -> tuple[float, float] | None:
    """Seconds on a CPU and seconds runnable but waiting for one, summed over the process's
    threads (Linux /proc/<pid>/task/*/schedstat); None where that is not available."""
    totals = None
    for task in Path(f"/proc/{pid}/task").glob("*/schedstat"):
        try:
            run, wait, _ = task.read_text().split()
        except (OSError, ValueError):
            continue
        on_cpu, waiting = totals or (0.0, 0.0)
        totals = (on_cpu + int(run) / 1e9, waiting + int(wait) / 1e9)
    return totals


def _phase(code: str) -> dict:
    """Run a Python snippet in a fresh process; return its wall and CPU time, its peak RSS,
    the 1-minute load before it started (the machine is shared) and how its wall time
    splits: on a CPU, runnable but waiting for a CPU (other work), and neither (blocked on
    disk or sleeping)."""
    load = os.getloadavg()[0]
    started = time.perf_counter()
    child = subprocess.Popen([sys.executable, "-c", code])
    sched = None
    while True:  # sample until it exits: the last sample is within 0.2 s of the end
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if pid:
            break
        sched = _schedstat(child.pid) or sched
        time.sleep(0.2)
    seconds = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"benchmark phase failed with status {status}")
    result = {
        "seconds": round(seconds, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        "peak_mib": round(usage.ru_maxrss / 1024),
        "load_1min": round(load, 2),
    }
    if sched:
        result["waiting_for_cpu_s"] = round(sched[1], 1)
        result["blocked_s"] = round(max(seconds - sched[0] - sched[1], 0), 1)
    return result


GENERATE = """
from pathlib import Path
from sources.synthetic.municipality import generate
generate(Path({landing!r}), {scale!r})
"""

EXTRACT = """
import os
from pathlib import Path
from orchestration.definitions import defs
from orchestration.demo import synthetic_sources
from orchestration.pipeline import delivered_range
from orchestration.partitions import month_range_tags, partition_key
from orchestration.resources import KvarterStorage
from sources.registry import MONTHLY, YEARLY

storage = KvarterStorage.under(Path({data!r}))
os.environ.update({{k: v for k, v in storage.environment().items() if v}})
with synthetic_sources(storage) as storage:
    code_location = defs()
    for job, contracts in (("monthly_extract", MONTHLY), ("yearly_extract", YEARLY)):
        first, last = delivered_range(storage, contracts)
        result = code_location.resolve_job_def(job).execute_in_process(
            run_config={{"loggers": {{"console": {{"config": {{"log_level": "ERROR"}}}}}}}},
            tags=month_range_tags(partition_key(first), partition_key(last)),
        )
        assert result.success
"""


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="small")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--generate-only", action="store_true", help="skip the extraction")
    parser.add_argument("--landing", type=Path, help="extract this landing zone, no generation")
    parser.add_argument("--keep", type=Path, help="copy the last run's warehouse here")
    args = parser.parse_args()
    runs = []
    for _ in range(args.repeat):
        data = Path(tempfile.mkdtemp(prefix=f"kvarter-bench-{args.scale}-"))
        try:
            if args.landing:
                (data / "landing").symlink_to(args.landing.resolve())
                run = {}
            else:
                landing = str(data / "landing")
                run = {"generate": _phase(GENERATE.format(landing=landing, scale=args.scale))}
            size = sum(p.stat().st_size for p in (data / "landing").rglob("*") if p.is_file())
            run["landing_mib"] = round(size / 2**20)
            if not args.generate_only:
                run["extract"] = _phase(EXTRACT.format(data=str(data)))
                run["warehouse_mib"] = round((data / "warehouse.duckdb").stat().st_size / 2**20)
                if args.keep:
                    shutil.copyfile(data / "warehouse.duckdb", args.keep)
            runs.append(run)
        finally:
            shutil.rmtree(data, ignore_errors=True)
    record = {
        "scale": args.scale,
        "runs": runs,
    }
    if not args.landing:
        record["median_generate_s"] = statistics.median(r["generate"]["seconds"] for r in runs)
    else:
        record["landing"] = str(args.landing)
    if not args.generate_only:
        record["median_extract_s"] = statistics.median(r["extract"]["seconds"] for r in runs)
    append(RESULTS, record)


if __name__ == "__main__":
    main()
