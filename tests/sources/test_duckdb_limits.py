from pathlib import Path

import duckdb

from sources import duckdb_limits


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv(duckdb_limits.MEMORY_ENV, "1500MB")
    monkeypatch.setenv(duckdb_limits.THREADS_ENV, "1")
    monkeypatch.setenv(duckdb_limits.TEMP_ENV, str(tmp_path / "spill"))
    con = duckdb.connect()
    duckdb_limits.apply(con, str(tmp_path / "w.duckdb"))
    memory, threads, temp = con.execute(
        "select current_setting('memory_limit'), current_setting('threads'), "
        "current_setting('temp_directory')"
    ).fetchone()
    assert (memory, threads, temp) == ("1.3 GiB", 1, str(tmp_path / "spill"))


def test_defaults_derive_from_the_machine_and_the_warehouse(monkeypatch):
    for name in (duckdb_limits.MEMORY_ENV, duckdb_limits.THREADS_ENV, duckdb_limits.TEMP_ENV):
        monkeypatch.delenv(name, raising=False)
    values = duckdb_limits.settings("/data/w.duckdb")
    assert int(values["memory_limit"].removesuffix("MiB")) >= duckdb_limits.MIN_MEMORY_MIB
    assert int(values["threads"]) >= 1
    assert values["temp_directory"] == "/data/w.duckdb.tmp"
    assert (
        duckdb_limits.dbt_env("/data/w.duckdb")[duckdb_limits.MEMORY_ENV] == values["memory_limit"]
    )


def test_the_default_memory_is_a_sixth_of_the_machine_less_what_python_holds():
    gib = 2**30
    assert duckdb_limits.default_memory(24 * gib) == "3584MiB"  # 4096 - 512
    assert duckdb_limits.default_memory(64 * gib) == "10410MiB"  # 10922 - 512
    assert duckdb_limits.default_memory(8 * gib) == "1024MiB"  # 1365 - 512 = 853, raised to 1 GiB


def test_dbt_opens_the_database_with_the_bounds():
    """dbt-duckdb runs `settings` as SETs on every new cursor, and DuckDB refuses a new
    temp_directory once the database has spilled there (a city full build failed so):
    the bounds must be connect-time `config_options`, each fed by the vars the
    orchestration passes."""
    import yaml

    profile = Path(__file__).parents[2] / "dbt_project" / "profiles.yml"
    output = yaml.safe_load(profile.read_text())["kvarter"]["outputs"]["dev"]
    assert "settings" not in output
    options = output["config_options"]
    assert {name: f"var('duckdb_{name}'" in value for name, value in options.items()} == {
        "memory_limit": True,
        "threads": True,
        "temp_directory": True,
    }
