"""DuckDB's memory limit, threads and spill folder, for the extract connection and dbt.

Without a limit DuckDB takes 80 % of the machine's memory (the city dbt build peaked at
14.7 GiB); with one, a larger municipality spills to disk instead of failing or crowding
out everything else on the machine. Set by environment variables (README, Configuration):

    KVARTER_DUCKDB_MEMORY_LIMIT  DuckDB size text ("4GB", "2GiB"); default a sixth of RAM
                                 less what the process holds outside DuckDB
    KVARTER_DUCKDB_THREADS       default the number of CPUs
    KVARTER_DUCKDB_TEMP_DIR      where DuckDB spills; default <warehouse>.tmp
"""

import os

import duckdb

MEMORY_ENV = "KVARTER_DUCKDB_MEMORY_LIMIT"
THREADS_ENV = "KVARTER_DUCKDB_THREADS"
TEMP_ENV = "KVARTER_DUCKDB_TEMP_DIR"
MIN_MEMORY_MIB = 1024  # below this the heavier dbt models spill on every query
# What a process of the pipeline holds beside DuckDB's buffers (Python, Arrow, pandas,
# DuckDB's own allocations outside its limit): the city build peaked 0.3 GiB over it.
OUTSIDE_DUCKDB_MIB = 512


def default_memory(total_bytes: int) -> str:
    """A sixth of the machine's memory for a process (the machine is shared), of which
    DuckDB gets all but what the process holds beside it."""
    share = total_bytes // 6 // 2**20 - OUTSIDE_DUCKDB_MIB
    return f"{max(MIN_MEMORY_MIB, share)}MiB"


def settings(warehouse_path: str) -> dict[str, str]:
    """memory_limit, threads and temp_directory as DuckDB setting values (text)."""
    return {
        "memory_limit": os.environ.get(MEMORY_ENV)
        or default_memory(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")),
        "threads": os.environ.get(THREADS_ENV) or str(os.cpu_count() or 1),
        "temp_directory": os.environ.get(TEMP_ENV) or f"{warehouse_path}.tmp",
    }


def apply(con: duckdb.DuckDBPyConnection, warehouse_path: str) -> None:
    for name, value in settings(warehouse_path).items():
        con.execute(f"set {name} = '{value}'" if name != "threads" else f"set threads = {value}")


def dbt_env(warehouse_path: str) -> dict[str, str]:
    """The settings as the variables the dbt profile (dbt_project/profiles.yml) reads."""
    values = settings(warehouse_path)
    return {
        MEMORY_ENV: values["memory_limit"],
        THREADS_ENV: values["threads"],
        TEMP_ENV: values["temp_directory"],
    }
