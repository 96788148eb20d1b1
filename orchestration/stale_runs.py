"""Runs whose process died still hold the warehouse pool.

A run killed hard (SIGKILL, a machine restart) stays STARTED in Dagster's storage and
keeps the slot of the step it was in: every later step of the pool `kvarter_warehouse`
would wait for it for good. Runs `kvarter` starts carry their process in a tag, and
before it starts new ones, those whose process is gone on this machine are marked failed
and their slots freed. (The daemon's runs: `run_monitoring` in dagster.yaml.)

The processes such a run started outlive it: a dbt build goes on writing to the
warehouse, and holds its lock while the next run's dbt step tries to open it. They carry
their run's process in their environment, inherited, and are stopped with the run.
"""

import os
import signal
import socket
import time
from contextlib import suppress
from pathlib import Path

import dagster as dg

PROCESS_TAG = "kvarter/process"
PROCESS_ENV = "KVARTER_RUN_PROCESS"
# How long a process left behind gets to end on SIGTERM before SIGKILL.
GRACE_SECONDS = 5.0


def _started(pid: int) -> str | None:
    """A process's start time in clock ticks since boot (/proc, field 22): a pid
    reused by another process has another."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[1].split()[19]


def this_process() -> str:
    return f"{socket.gethostname()} {os.getpid()} {_started(os.getpid())}"


def run_tags() -> dict[str, str]:
    """The tag naming this process for the runs it starts, also set in its environment,
    which the processes they start (dbt) inherit."""
    os.environ[PROCESS_ENV] = this_process()
    return {PROCESS_TAG: os.environ[PROCESS_ENV]}


def _gone(process: str) -> bool:
    host, pid, started = process.split(" ")
    return host == socket.gethostname() and _started(int(pid)) != started


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")  # a zombie has ended


def left_behind(process: str) -> list[int]:
    """The live processes started by `process` (its runs' dbt builds and theirs)."""
    marker = f"{PROCESS_ENV}={process}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environment = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue  # ended meanwhile, or not ours to read
        if marker in environment and _alive(int(entry.name)):
            found.append(int(entry.name))
    return sorted(found)


def stop(pids: list[int]) -> None:
    """SIGTERM, then SIGKILL for those still running after GRACE_SECONDS."""
    for pid in pids:
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_SECONDS
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in filter(_alive, pids):
        with suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def release_dead_runs(instance: dg.DagsterInstance) -> dict[str, list[int]]:
    """Mark failed the runs whose `kvarter` process is gone, stop the processes they
    left behind, free their pool slots, and return their ids with the processes stopped."""
    running = instance.get_runs(
        filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED])
    )
    released = {}
    for run in running:
        process = run.tags.get(PROCESS_TAG)
        if process is None or not _gone(process):
            continue
        orphans = left_behind(process)
        stop(orphans)
        instance.report_run_failed(
            run,
            f"its process ({process}) is gone: killed or crashed"
            + (f"; stopped the processes it left running: {orphans}" if orphans else ""),
        )
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        released[run.run_id] = orphans
    return released
