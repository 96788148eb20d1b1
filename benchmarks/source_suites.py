"""The extract's contract suites on a built warehouse: GX's pandas engine against the
same expectations as SQL aggregates (quality/source_suites.py), table by table.

    .venv/bin/python -m benchmarks.source_suites WAREHOUSE [--tables population__residents]

Each table's whole delivered range is checked both ways (pandas: the rows fetched as a
frame, then GX); the failures must agree. Times are medians of --repeat runs, in this
one process; results are appended to benchmarks/results/source_suites.jsonl.
"""

import argparse
import os
import statistics
import time

import duckdb

from benchmarks.record import append
from benchmarks.sources import RESULTS as SOURCES
from quality.gx_runner import run_suites
from quality.source_suites import contract_expectations, validate_source
from sources.registry import ALL_CONTRACTS
from sources.warehouse import RAW_SCHEMA

RESULTS = SOURCES.with_name("source_suites.jsonl")


def _timed(run) -> tuple[float, object]:
    started = time.perf_counter()
    result = run()
    return time.perf_counter() - started, result


def _failures(result) -> set:
    return {(f.expectation, f.column, f.unexpected_count) for f in result.failures}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("warehouse")
    parser.add_argument("--tables", nargs="*")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    con = duckdb.connect(args.warehouse, read_only=True)
    run_suites([])  # GX's import and context once, outside the timings
    tables = {}
    for contract in ALL_CONTRACTS:
        if args.tables and contract.table not in args.tables:
            continue
        table = f"{RAW_SCHEMA}.{contract.table}"
        first, last, rows = con.execute(
            f"select min(period), max(period), count(*) from {table}"
        ).fetchall()[0]
        if not rows:
            continue
        expectations = contract_expectations(contract)

        def pandas(table=table, first=first, last=last, expectations=expectations):
            frame = con.execute(
                f"select * from {table} where period between ? and ?", [first, last]
            ).df()
            return run_suites([(table, frame, expectations)])[0]

        def sql(contract=contract, first=first, last=last):
            return validate_source(con, contract, [first, last])

        times = {"pandas_gx": [], "sql": []}
        for _ in range(args.repeat):
            for name, run in (("pandas_gx", pandas), ("sql", sql)):
                seconds, result = _timed(run)
                times[name].append(round(seconds, 3))
                if name == "pandas_gx":
                    expected = _failures(result)
                elif _failures(result) != expected:
                    raise SystemExit(f"{table}: SQL {result} differs from GX's {expected}")
        tables[contract.table] = {
            "rows": rows,
            **{f"median_{k}_s": statistics.median(v) for k, v in times.items()},
            "runs_s": times,
        }
    append(
        RESULTS,
        {
            "warehouse": args.warehouse,
            "load_1min_end": round(os.getloadavg()[0], 2),
            "tables": tables,
        },
    )


if __name__ == "__main__":
    main()
