"""The project's full build and monthly increment through Dagster, with DuckDB alone
reading the same deliveries side by side (issue #15).

    .venv/bin/python -m benchmarks.build --scale small [--repeat 3] [--memory-limit 2GB]
    .venv/bin/python -m benchmarks.build --scale city --landing /tmp/city/data/landing

Each measured phase is its own process (imports included):
- build: the extract jobs as one backfill run each, then `refresh_marts_and_alerts` with
  dbt's full refresh (dbt, gates, publish, detection, alerts), as `kvarter run` runs them
  (orchestration.pipeline.run_pipeline), on a Dagster instance of its own (dagster.yaml,
  SQLite storage in the run folder);
- increment: the latest month re-delivered: `monthly_extract` for that partition, then
  the refresh for that month, as the schedule and `refresh_after_extract` run them;
- reference: benchmarks/reference.py, DuckDB alone, the same files into typed tables.
With --repeat > 1 build and reference alternate (the first goes first in odd rounds).
Stage times are Dagster's step stats of each run (`get_run_step_stats`). Memory: `peak_mib`
is the largest max RSS of any single process of the phase's tree (os.wait4 on the phase
process, which covers its waited-for children: dbt's subprocesses); `tree_peak_mib` is the
largest sum of RSS over the whole live process tree, sampled every 0.2 s from /proc.
The landing folder is read in place and never written; all output goes to a temporary
folder. Results are appended to benchmarks/results/build.jsonl.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from benchmarks.record import append
from benchmarks.sources import GENERATE

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).parent / "results" / "build.jsonl"
MEMORY_ENV = "KVARTER_DUCKDB_MEMORY_LIMIT"


def _tree_rss(pid: int) -> int:
    """Sum of RSS (bytes) of pid and all its live descendants."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        total += rss.get(p, 0)
        todo.extend(children.get(p, []))
    return total


def _phase(args: list[str], env: dict | None = None) -> dict:
    """Run `python -c <code>` in a fresh process: wall time, peaks, and what it printed last
    (a JSON line)."""
    started = time.perf_counter()
    child = subprocess.Popen(
        [sys.executable, "-c", *args], env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    peak, done = [0], threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            peak[0] = max(peak[0], _tree_rss(child.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    done.set()
    sampler.join()
    if status != 0:
        raise SystemExit(f"benchmark phase failed with status {status}:\n{out[-3000:]}")
    return {
        "seconds": round(time.perf_counter() - started, 1),
        "cpu_s": round(usage.ru_utime + usage.ru_stime, 1),
        # Read from the disk, not from the page cache (the kernel counts 512-byte blocks).
        "disk_read_mib": round(usage.ru_inblock * 512 / 2**20),
        "peak_mib": round(usage.ru_maxrss / 1024),
        "tree_peak_mib": round(peak[0] / 2**20),
        **json.loads(out.strip().splitlines()[-1]),
    }


def _step_times(instance, result) -> dict[str, float]:
    return {
        s.step_key: round(s.end_time - s.start_time, 1)
        for s in instance.get_run_step_stats(result.run_id)
        if s.start_time and s.end_time
    }


def pipeline_child(landing: str, folder: str, increment: bool) -> None:
    """In the phase process: the full build, or the latest month's increment, through
    Dagster; prints one JSON line with the runs' wall and step times."""
    started = time.perf_counter()
    import dagster as dg

    from orchestration.definitions import defs
    from orchestration.demo import synthetic_sources
    from orchestration.partitions import month_range_tags, partition_key
    from orchestration.pipeline import delivered_range, run_pipeline
    from orchestration.resources import KvarterStorage
    from sources.registry import MONTHLY

    # One CPR key for every build of the benchmark, so their pseudonyms agree.
    key = str(Path(folder).parent / "cpr_key")
    storage = KvarterStorage.under(Path(folder), landing_dir=landing, cpr_key_file=key)
    os.environ.update({k: v for k, v in storage.environment().items() if v})
    os.environ["DAGSTER_HOME"] = str(ROOT)
    os.environ["KVARTER_DAGSTER_STORAGE"] = str(Path(folder) / "dagster")
    instance = dg.DagsterInstance.get()
    runs = {}
    with synthetic_sources(storage) as live:
        code_location = defs()
        runs["imports_and_load"] = {"seconds": round(time.perf_counter() - started, 1)}
        log = {"loggers": {"console": {"config": {"log_level": "ERROR"}}}}
        if increment:
            month = partition_key(delivered_range(live, MONTHLY)[1])
            jobs = [
                ("monthly_extract", {"partition_key": month}, {}),
                ("refresh_marts_and_alerts", {"tags": month_range_tags(month, month)}, {}),
            ]
            results = []
            for job, kwargs, config in jobs:
                t = time.perf_counter()
                results.append(
                    code_location.resolve_job_def(job).execute_in_process(
                        run_config={**log, **config}, instance=instance, **kwargs
                    )
                )
                runs[job] = {"seconds": round(time.perf_counter() - t, 1)}
        else:
            t = time.perf_counter()
            run = run_pipeline(code_location, live, instance, log_level="ERROR")
            if not run.success:
                raise SystemExit("the full build failed")
            results = [*run.extracts, run.refresh]
            runs["all_runs"] = {"seconds": round(time.perf_counter() - t, 1)}
        for result in results:
            assert result.success, result.job_def.name
            runs.setdefault(result.job_def.name, {})["steps"] = _step_times(instance, result)
    print(json.dumps({"runs": runs}))


def reference_child(landing: str, folder: str) -> None:
    from benchmarks.reference import read

    print(json.dumps({"tables": read(Path(landing), Path(folder) / "reference.duckdb")}))


def _project(landing: Path, folder: Path, increment: bool, memory: str | None) -> dict:
    env = {**os.environ}
    if memory:
        env[MEMORY_ENV] = memory
    code = (
        "from benchmarks.build import pipeline_child; "
        f"pipeline_child({str(landing)!r}, {str(folder)!r}, {increment})"
    )
    return {"loadavg": _load(), **_phase([code], env)}


def _reference(landing: Path, folder: Path) -> dict:
    code = (
        "from benchmarks.build import reference_child; "
        f"reference_child({str(landing)!r}, {str(folder)!r})"
    )
    load = _load()
    result = _phase([code])
    (folder / "reference.duckdb").unlink()
    return {"loadavg": load, **result}


def _load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def _marts(warehouse: Path) -> dict:
    import duckdb

    from benchmarks.marts_compare import fingerprints

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return fingerprints(con)
    finally:
        con.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", default="small", choices=["demo", "small", "city", "national"])
    parser.add_argument("--landing", help="an existing landing folder, read in place")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--memory-limit", help="also build with this DuckDB memory limit")
    parser.add_argument("--reference-only", action="store_true", help="only the DuckDB floor")
    args = parser.parse_args()
    if not (ROOT / "dbt_project" / "target" / "manifest.json").exists():
        raise SystemExit("no dbt manifest: run `make` (or `dbt parse` in dbt_project) first")
    work = Path(tempfile.mkdtemp(prefix=f"kvarter-build-{args.scale}-"))
    record: dict = {"scale": args.scale, "landing": args.landing or "generated"}
    try:
        if args.landing:
            landing = Path(args.landing).resolve()
        else:
            landing = work / "landing"
            record["generate"] = _phase(
                [GENERATE.format(landing=str(landing), scale=args.scale) + "print('{}')"]
            )
        from benchmarks.reference import check_housing

        check_housing(landing)
        record["landing_mib"] = round(
            sum(p.stat().st_size for p in landing.rglob("*") if p.is_file()) / 2**20
        )
        rounds = []
        last_build = None
        for i in range(args.repeat):
            folder = work / f"run{i}"
            folder.mkdir()
            one: dict = {}
            order = ("reference", "build") if i % 2 else ("build", "reference")
            for what in order:
                if what == "reference":
                    one["reference"] = _reference(landing, folder)
                elif not args.reference_only:
                    one["build"] = _project(landing, folder, False, None)
                    one["increment"] = _project(landing, folder, True, None)
            if "build" in one:
                one["ratio"] = round(one["build"]["seconds"] / one["reference"]["seconds"], 2)
                if last_build:
                    shutil.rmtree(last_build)
                last_build = folder
            rounds.append(one)
        record["rounds"] = rounds
        record["median_reference_s"] = statistics.median(r["reference"]["seconds"] for r in rounds)
        if not args.reference_only:
            for key in ("build", "increment"):
                record[f"median_{key}_s"] = statistics.median(r[key]["seconds"] for r in rounds)
            record["median_ratio"] = statistics.median(r["ratio"] for r in rounds)
        if args.memory_limit and last_build:
            folder = work / "limited"
            folder.mkdir()
            limited = _project(landing, folder, False, args.memory_limit)
            from benchmarks.marts_compare import differences

            diff = differences(
                _marts(last_build / "warehouse.duckdb"), _marts(folder / "warehouse.duckdb")
            )
            record["memory_limited"] = {
                "limit": args.memory_limit,
                **limited,
                "marts_identical": not diff,
                "marts_differing": diff,
            }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    append(RESULTS, record)


if __name__ == "__main__":
    main()
