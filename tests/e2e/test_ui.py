"""`kvarter ui` (what `make ui` runs), venv not activated: the Dagster UI loads the code
location and shows the run history of the instance in dagster.yaml."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from contextlib import suppress
from pathlib import Path

import dagster as dg

from orchestration.resources import PROJECT_ROOT
from tests.partitioned_run import backfill
from tests.smtp_server import free_port

LOCATION = """{ workspaceOrError { ... on Workspace { locationEntries {
    name loadStatus locationOrLoadError { __typename ... on PythonError { message } } } } } }"""
RUNS = "{ runsOrError { ... on Runs { results { runId status } } } }"


def graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.load(response)["data"]


def loaded_location(ui: subprocess.Popen, port: int, log: Path) -> dict:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if ui.poll() is not None:
            raise AssertionError(f"kvarter ui exited ({ui.returncode}): {log.read_text()[-2000:]}")
        try:
            [entry] = graphql(port, LOCATION)["workspaceOrError"]["locationEntries"]
            if entry["loadStatus"] == "LOADED":
                return entry
        except OSError:
            pass  # the webserver is not up yet
        time.sleep(1)
    raise AssertionError(f"the code location did not load in 120 s: {log.read_text()[-2000:]}")


def test_the_ui_loads_the_code_location_and_shows_the_runs(monkeypatch, tmp_path):
    storage = tmp_path / ".dagster"
    monkeypatch.setenv("KVARTER_DAGSTER_STORAGE", str(storage))
    run_id = backfill(dg.DagsterInstance.from_config(str(PROJECT_ROOT)), "2024-01-01", "2024-02-01")

    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("KVARTER_", "DAGSTER_"))},
        "PATH": "/usr/local/bin:/usr/bin:/bin",  # no venv on it, as in a plain shell
        "KVARTER_DATA_DIR": str(tmp_path / "data"),
        "KVARTER_DAGSTER_STORAGE": str(storage),
    }
    kvarter = Path(sys.executable).parent / "kvarter"
    log = tmp_path / "ui.log"
    ui = subprocess.Popen(
        [str(kvarter), "ui", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        entry = loaded_location(ui, port, log)
        assert entry["name"] == "orchestration.definitions"
        assert entry["locationOrLoadError"]["__typename"] == "RepositoryLocation", entry
        runs = graphql(port, RUNS)["runsOrError"]["results"]
        assert runs == [{"runId": run_id, "status": "SUCCESS"}]
        # Stopped by `kill` (a service manager's SIGTERM) to `kvarter` alone: the UI's own
        # processes stop with it, not left serving.
        ui.terminate()
        assert gone(ui, seconds=60), processes(ui)
    finally:
        stop(ui)


def session(ui: subprocess.Popen) -> list[int]:
    """The live processes of the UI's session (`kvarter` and every process it started,
    whichever process group they are in)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[3]) == ui.pid and fields[0] not in ("Z", "X"):
            found.append(int(stat.parent.name))
    return found


def gone(ui: subprocess.Popen, seconds: float) -> bool:
    """Whether every process of the UI's session has ended within `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        ui.poll()  # reaps `kvarter` once it exits
        if not session(ui):
            return True
        time.sleep(0.5)
    return False


def processes(ui: subprocess.Popen) -> str:
    return subprocess.run(["ps", "-o", "pid,cmd", "-s", str(ui.pid)], capture_output=True,
                          text=True).stdout  # fmt: skip


def stop(ui: subprocess.Popen) -> None:
    """Ctrl-C to the UI's process group, as a user stops it; then wait until every process
    of its session (webserver, daemon, code servers) is gone, killing what is left."""
    with suppress(ProcessLookupError):
        os.killpg(ui.pid, signal.SIGINT)
    if not gone(ui, seconds=60):
        for pid in session(ui):
            with suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        ui.wait()
