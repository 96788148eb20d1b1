"""A run whose process died frees the warehouse pool (orchestration/stale_runs.py)."""

import os
import socket

import dagster as dg
from dagster._core.storage.dagster_run import DagsterRun

from orchestration.resources import WAREHOUSE_POOL
from orchestration.stale_runs import PROCESS_TAG, release_dead_runs, this_process


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

        assert release_dead_runs(instance) == [runs["killed"]]

        assert instance.get_run_by_id(runs["killed"]).status == dg.DagsterRunStatus.FAILURE
        assert storage.get_concurrency_info(WAREHOUSE_POOL).active_run_ids == set()
        for name in ("alive", "far"):
            assert instance.get_run_by_id(runs[name]).status == dg.DagsterRunStatus.STARTED
        assert release_dead_runs(instance) == []
