"""One source entity's extract over every delivered month, alone, without Dagster.

    .venv/bin/python -m benchmarks.source_extract --landing /tmp/city2/data/landing \
        housing__tenancies children_youth__school_absence [--repeat 2] [--code DIR]

Each run is a fresh process that extracts every month of the landing folder as the
extract asset does (`sources.extract.extract_periods` into a scratch warehouse, the
configured DuckDB limits, one pseudonym map), then runs the contract suite on the months
(`validate_source`). It reports wall and CPU time, peak memory, the load and the wait for
a CPU (`benchmarks.sources._phase`), the rows read, loaded and quarantined, and a
fingerprint of the raw table, its quarantine and delivery log (`marts_compare`), so runs
of two checkouts (`--code`: the folder whose `sources` run; runs alternate between the
checkouts given) can be held identical. Results: results/source_extract.jsonl.
"""

import argparse
import json
import statistics
import tempfile
from pathlib import Path

from benchmarks.record import append
from benchmarks.sources import _phase

RESULTS = Path(__file__).parent / "results" / "source_extract.jsonl"
ROOT = Path(__file__).resolve().parents[1]

EXTRACT = """
import sys
sys.path.insert(0, {code!r})
import datetime as dt, json
from pathlib import Path
import duckdb
from benchmarks.marts_compare import fingerprints
from quality.source_suites import validate_source
from sources import duckdb_limits
from sources.extract import SourceLocations, extract_periods
from sources.registry import ALL_CONTRACTS
from sources.synthetic.layout import housing_db_url
from sources.validate import Pseudonymiser
from sources.warehouse import create_raw_tables

landing, warehouse = Path({landing!r}), {warehouse!r}
contract = next(c for c in ALL_CONTRACTS if c.table == {table!r})
months = sorted(p.name for p in (landing / "population").iterdir() if len(p.name) == 7)
periods = [dt.date(int(m[:4]), int(m[5:]), 1) for m in months]
con = duckdb.connect(warehouse)
duckdb_limits.apply(con, warehouse)
create_raw_tables(con, ALL_CONTRACTS)
where = SourceLocations(landing, housing_db_url(landing), "http://127.0.0.1:9")
totals = [0, 0, 0]
for item in extract_periods(con, contract, periods, where, Pseudonymiser(b"benchmark")):
    # A batch of (period, stats) since the tenth session; (period, stats) before (--code).
    for _, stats in item if isinstance(item, list) else [item]:
        totals = [t + s for t, s in zip(totals, vars(stats).values())]
validate_source(con, contract, periods)
prints = fingerprints(con, "raw")
con.close()
tables = (contract.table, "quarantine", "deliveries")
Path({out!r}).write_text(json.dumps({{"rows": totals, "raw": {{t: prints[t] for t in tables}}}}))
"""


def _run(code: Path, landing: Path, table: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="kvarter-source-extract-") as folder:
        out = Path(folder) / "out.json"
        warehouse = str(Path(folder) / "warehouse.duckdb")
        result = _phase(
            EXTRACT.format(
                code=str(code), landing=str(landing), warehouse=warehouse, table=table, out=str(out)
            )
        )
        return {**result, **json.loads(out.read_text())}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("tables", nargs="+", help="raw table names, e.g. housing__tenancies")
    parser.add_argument("--landing", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--code", type=Path, action="append", help="checkouts to compare")
    args = parser.parse_args()
    codes = [c.resolve() for c in args.code or [ROOT]]
    for table in args.tables:
        runs = []
        for i in range(args.repeat):
            # Alternate which checkout goes first: the machine's load drifts.
            for code in codes[i % 2 :] + codes[: i % 2] if len(codes) == 2 else codes:
                runs.append({"code": str(code), **_run(code, args.landing.resolve(), table)})
        record = {"table": table, "landing": str(args.landing), "runs": runs}
        record["median_s"] = {
            str(code): statistics.median(r["seconds"] for r in runs if r["code"] == str(code))
            for code in codes
        }
        append(RESULTS, record)


if __name__ == "__main__":
    main()
