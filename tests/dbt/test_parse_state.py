"""The parse a run leaves for the next is its checkout's: dbt reuses a parse whose files'
contents match, absolute paths and all, so a parse made in another directory would load
the seeds from there (a deployment that moved to a new release's folder)."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from orchestration.defs.dbt import DBT_PROJECT_DIR, parse_state, reusing_parse
from orchestration.resources import KvarterStorage

DBT = Path(sys.executable).parent / "dbt"
SEED = "department_contacts"


def seed(project: Path, state: Path, warehouse: Path, run: str):
    """`dbt seed` of one seed in `project`, from and into `state` as a run does."""
    target = project / "target" / run
    with reusing_parse(state, target):
        return subprocess.run(
            [DBT, "seed", "--select", SEED, "--profiles-dir", ".", "--target-path", str(target),
             "--vars", json.dumps({"warehouse": str(warehouse)})],
            cwd=project, capture_output=True, text=True,
        )  # fmt: skip


def checkout(tmp_path: Path, name: str) -> Path:
    built = shutil.ignore_patterns("target", "logs")
    return Path(shutil.copytree(DBT_PROJECT_DIR, tmp_path / name / "dbt_project", ignore=built))


def test_a_moved_checkout_parses_again_instead_of_loading_the_old_ones_seeds(tmp_path):
    storage = KvarterStorage.under(tmp_path / "state")
    warehouse = Path(storage.warehouse_path)
    warehouse.parent.mkdir()
    old, new = checkout(tmp_path, "release-1"), checkout(tmp_path, "release-2")

    first = seed(old, parse_state(storage, old), warehouse, "first")
    assert first.returncode == 0, first.stdout
    assert parse_state(storage, old).exists()
    shutil.rmtree(old.parent)  # the old release is removed

    assert parse_state(storage, new) != parse_state(storage, old)
    moved = seed(new, parse_state(storage, new), warehouse, "moved")
    assert moved.returncode == 0, moved.stdout
    with duckdb.connect(str(warehouse), read_only=True) as con:
        contacts = con.execute(f"select count(*) from reference.{SEED}").fetchone()[0]
    assert contacts == len((new / "seeds" / f"{SEED}.csv").read_text().splitlines()) - 1

    # What a parse shared by both checkouts did: dbt skipped parsing and read the seed
    # from the removed folder.
    shared = tmp_path / "shared" / "partial_parse.msgpack"
    shutil.copytree(new.parent, old.parent)  # the old release once more
    assert seed(old, shared, warehouse, "first").returncode == 0
    shutil.rmtree(old.parent)
    stale = seed(new, shared, warehouse, "stale")
    assert stale.returncode == 1
    assert f'No files found that match the pattern "{old / "seeds" / SEED}.csv"' in stale.stdout


def test_other_checkouts_parses_go_after_thirty_days_unused(tmp_path):
    storage = KvarterStorage.under(tmp_path)
    state = parse_state(storage, tmp_path / "release-3" / "dbt_project")
    folders = {}
    for name, days in (("release-1", 31), ("release-2", 29)):
        folders[name] = parse_state(storage, tmp_path / name / "dbt_project").parent
        folders[name].mkdir(parents=True)
        (folders[name] / "partial_parse.msgpack").write_bytes(b"parse")
        then = time.time() - days * 86400
        os.utime(folders[name], (then, then))
    (state.parent.parent / "notes.txt").write_text("a stray file is left alone")
    target = tmp_path / "target"
    with reusing_parse(state, target):
        target.mkdir()
        (target / "partial_parse.msgpack").write_bytes(b"parse")  # as dbt leaves it

    assert state.read_bytes() == b"parse"
    assert sorted(f.name for f in state.parent.parent.iterdir()) == sorted(
        [state.parent.name, folders["release-2"].name, "notes.txt"]
    )
