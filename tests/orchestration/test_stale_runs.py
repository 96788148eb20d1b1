"""A run whose process died frees the warehouse pool (orchestration/stale_runs.py)."""

import os
import signal
import socket
import subprocess
import sys

import dagster as dg
from dagster._core.storage.dagster_run import DagsterRun

from orchestration.resources import WAREHOUSE_POOL
from orchestration.stale_runs import (
    PROCESS_ENV,
    PROCESS_TAG,
    release_dead_runs,
    run_tags,
    this_process,
)


def test_a_run_whose_process_is_gone_is_failed_and_frees_its_slot(tmp_path):
    # Our own pid with another start time: the process that started that run is gone.
    gone = f"{socket.gethostname()} {os.getpid()} 1"
    elsewhere = f"another-host {os.getpid()} 1"  # not ours to judge
    with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
        storage = instance.event_log_storage
        storage.set_concurrency_slots(WAREHOUSE_POOL, 1)
        runs = {}
        for name, process in (("killed", gone), ("alive", this_process()), ("far", elsewhere)):
            run = DagsterRun(job_name="refresh", status=dg.DagsterRunStatus.STARTED,
                             tags={PROCESS_TAG: process})  # fmt: skip
            instance.add_run(run)
            runs[name] = run.run_id
        storage.claim_concurrency_slot(WAREHOUSE_POOL, runs["killed"], "dbt_marts")
        assert storage.get_concurrency_info(WAREHOUSE_POOL).active_run_ids == {runs["killed"]}

        assert release_dead_runs(instance) == {runs["killed"]: []}

        assert instance.get_run_by_id(runs["killed"]).status == dg.DagsterRunStatus.FAILURE
        assert storage.get_concurrency_info(WAREHOUSE_POOL).active_run_ids == set()
        for name in ("alive", "far"):
            assert instance.get_run_by_id(runs[name]).status == dg.DagsterRunStatus.STARTED
        assert release_dead_runs(instance) == {}


def sleeper(process: str, ignore_term=False) -> subprocess.Popen:
    """A process started by `process`'s run, as its dbt build is (the tag inherited)."""
    # Whatever it inherits: an ignored SIGTERM passes from parent to child (`dagster dev`'s
    # handlers map SIGTERM to SIGINT's, ignored in a shell's background job).
    code = "import signal, sys, time\n"
    code += f"signal.signal(signal.SIGTERM, signal.{'SIG_IGN' if ignore_term else 'SIG_DFL'})\n"
    code += "print('up', flush=True)\ntime.sleep(120)\n"
    env = {**os.environ, PROCESS_ENV: process}
    child = subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE)
    assert child.stdout.readline() == b"up\n"  # its handler is set
    return child


def test_the_processes_a_dead_run_left_running_are_stopped_with_it(tmp_path, monkeypatch):
    # Long enough for a SIGTERM to end a process on a busy machine (1 s was not, once).
    monkeypatch.setattr("orchestration.stale_runs.GRACE_SECONDS", 3.0)
    gone = f"{socket.gethostname()} {os.getpid()} 1"
    left = [sleeper(gone), sleeper(gone, ignore_term=True)]
    ours = sleeper(run_tags()[PROCESS_TAG])  # a live run's
    try:
        with dg.instance_for_test(temp_dir=str(tmp_path)) as instance:
            run = DagsterRun(job_name="refresh", status=dg.DagsterRunStatus.STARTED,
                             tags={PROCESS_TAG: gone})  # fmt: skip
            instance.add_run(run)

            assert release_dead_runs(instance) == {run.run_id: sorted(c.pid for c in left)}

            assert [child.wait(timeout=5) for child in left] == [-signal.SIGTERM, -signal.SIGKILL]
            assert ours.poll() is None
            assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
            failure = instance.get_records_for_run(run.run_id).records[-1].event_log_entry
            stopped = f"stopped the processes it left running: {sorted(c.pid for c in left)}"
            assert stopped in failure.dagster_event.message
    finally:
        for child in (*left, ours):
            child.kill()
            child.wait()
