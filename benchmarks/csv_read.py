"""Per-month read + validate time of the CSV sources (issue #15), one process, in memory.

.venv/bin/python -m sources.synthetic /tmp/landing --scale small
.venv/bin/python -m benchmarks.csv_read /tmp/landing --months 6
"""

import argparse
import datetime as dt
import statistics
import time
from pathlib import Path

import duckdb

from benchmarks.record import append
from sources import employment, population, readers
from sources.landing import delivered_periods, delivery_path
from sources.validate import Pseudonymiser, validate_deliveries

RESULTS = Path(__file__).parent / "results" / "csv_read.jsonl"
CONTRACTS = (population.RESIDENTS, population.ADDRESSES, employment.BENEFITS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("landing", type=Path)
    parser.add_argument("--months", type=int, default=6, help="the last N delivered months")
    parser.add_argument("--label", default="", help="recorded with the figures")
    args = parser.parse_args()
    con = duckdb.connect()
    pseudonymise = Pseudonymiser(b"benchmark key")
    record = {"benchmark": "csv_read", "label": args.label, "months": args.months}
    for contract in CONTRACTS:
        reads, checks = [], []
        for period in delivered_periods(args.landing, contract)[0][-args.months :]:
            start = time.perf_counter()
            cells = readers.read_csv(delivery_path(args.landing, contract, period), contract)
            read = time.perf_counter()
            validate_deliveries(con, contract, [cells], pseudonymise)
            reads.append(read - start)
            checks.append(time.perf_counter() - read)
        record[contract.entity] = {
            "rows": len(cells.frame),
            "read_s": round(statistics.median(reads), 3),
            "validate_s": round(statistics.median(checks), 3),
        }
    record["loadavg_1min"] = float(open("/proc/loadavg").read().split()[0])
    record["date_run"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    append(RESULTS, record)


if __name__ == "__main__":
    main()
