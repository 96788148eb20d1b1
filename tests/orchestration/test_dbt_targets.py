"""Each dbt step's folder (manifest, compiled SQL, dbt.log) is kept for a while, not for ever."""

import os
import time

from orchestration.defs.dbt import KEPT_TARGETS, prune_targets


def make(targets, name, hours_ago):
    folder = targets / name
    (folder / "compiled").mkdir(parents=True)
    (folder / "dbt.log").write_text("log")
    then = time.time() - hours_ago * 3600
    os.utime(folder, (then, then))
    return folder


def test_a_steps_folders_beyond_the_newest_twenty_go_once_an_hour_old(tmp_path):
    assert KEPT_TARGETS == 20
    recent = [make(tmp_path, f"dbt_marts-run{i}", 0.1 * (i + 1)) for i in range(3)]
    old = [make(tmp_path, f"dbt_marts-old{h}", h) for h in range(2, 23)]  # 2 to 22 hours
    # Another step's folders, and beyond its newest twenty but younger than an hour.
    other = [make(tmp_path, f"dbt_monthly-run{i}", 0.5) for i in range(22)]

    prune_targets(tmp_path, "dbt_marts")
    prune_targets(tmp_path, "dbt_monthly")

    kept = {f.name for f in tmp_path.iterdir()}
    assert kept == {f.name for f in recent + old[:17] + other}
    assert not (tmp_path / "dbt_marts-old19").exists()
