"""Runs whose process died still hold the warehouse pool.

A run killed hard (SIGKILL, a machine restart) stays STARTED in Dagster's storage and
keeps the slot of the step it was in: every later step of the pool `kvarter_warehouse`
would wait for it for good. Runs `kvarter` starts carry their process in a tag, and
before it starts new ones, those whose process is gone on this machine are marked failed
and their slots freed. (The daemon's runs: `run_monitoring` in dagster.yaml.)
"""

import os
import socket
from pathlib import Path

import dagster as dg

PROCESS_TAG = "kvarter/process"


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


def _gone(process: str) -> bool:
    host, pid, started = process.split(" ")
    return host == socket.gethostname() and _started(int(pid)) != started


def release_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed the runs whose `kvarter` process is gone, free their pool slots, and
    return their ids."""
    running = instance.get_runs(
        filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED])
    )
    released = []
    for run in running:
        process = run.tags.get(PROCESS_TAG)
        if process is None or not _gone(process):
            continue
        instance.report_run_failed(run, f"its process ({process}) is gone: killed or crashed")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        released.append(run.run_id)
    return released
