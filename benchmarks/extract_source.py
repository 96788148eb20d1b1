"""One source's extract over every delivered period, without Dagster: wall and CPU time.

    .venv/bin/python -m benchmarks.extract_source population__residents LANDING [--months N]

What one extract asset step does (sources.extract.extract_periods on a fresh scratch
warehouse with the extract's DuckDB limits, then the contract suite over the periods),
in one process with a Pseudonymiser of its own (so every person is new to the run, as
for the first source of a run). GX is imported before the clock starts, as in a run.
File sources only (the housing database and the health API need their servers).
Appends to benchmarks/results/extract_source.jsonl; before/after comparisons run the
script of each version against the same landing folder.
"""

import argparse
import os
import resource
import shutil
import tempfile
import time
from pathlib import Path

import duckdb

from benchmarks.record import append
from quality.source_suites import contract_expectations, validate_source
from sources import duckdb_limits
from sources.extract import SourceLocations, extract_periods
from sources.landing import delivered_periods
from sources.registry import ALL_CONTRACTS
from sources.validate import Pseudonymiser
from sources.warehouse import create_raw_tables

RESULTS = Path(__file__).parent / "results" / "extract_source.jsonl"


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("table", help="raw table, e.g. population__residents")
    parser.add_argument("landing", type=Path)
    parser.add_argument("--months", type=int, help="only the last N delivered periods")
    parser.add_argument("--label", default="", help="recorded with the figures (commit)")
    args = parser.parse_args()
    contract = next(c for c in ALL_CONTRACTS if c.table == args.table)
    periods = delivered_periods(args.landing, contract)[-(args.months or 0) :]
    contract_expectations(contract)  # imports GX
    folder = Path(tempfile.mkdtemp(prefix="kvarter-extract-"))
    warehouse = str(folder / "warehouse.duckdb")
    load = os.getloadavg()[0]
    started, cpu = time.perf_counter(), _cpu()
    try:
        con = duckdb.connect(warehouse)
        duckdb_limits.apply(con, warehouse)
        create_raw_tables(con, ALL_CONTRACTS)
        where = SourceLocations(args.landing, "", "")
        rows = 0
        for _, stats in extract_periods(con, contract, periods, where, Pseudonymiser(b"k" * 32)):
            rows += stats.rows_read
        extracted, extract_cpu = time.perf_counter(), _cpu()
        suite = validate_source(con, contract, periods)
        con.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    append(
        RESULTS,
        {
            "table": args.table,
            "label": args.label,
            "landing": str(args.landing),
            "periods": len(periods),
            "rows_read": rows,
            "extract_s": round(extracted - started, 1),
            "extract_cpu_s": round(extract_cpu - cpu, 1),
            "suite_s": round(time.perf_counter() - extracted, 1),
            "suite_cpu_s": round(_cpu() - extract_cpu, 1),
            "suite_passed": suite.success,
            "peak_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "load_1min": [round(load, 2), round(os.getloadavg()[0], 2)],
        },
    )


if __name__ == "__main__":
    main()
