"""Disclosure control at one scale: the auditor's time and the information lost.

    .venv/bin/python -m benchmarks.disclosure --warehouse data/warehouse.duckdb \
        --scale demo [--repeat 3]

Reads a warehouse built by `kvarter run` (or `make demo`), stages the published copy as
the publish step does, and times the auditor on it `--repeat` times. Information loss:
per indicator, the share of area cells (housing areas and `outside`) hidden by the
primary rule alone, and by the whole method (primary, time, links, totals). Results are
appended to benchmarks/results/disclosure.jsonl.
"""

import argparse
import statistics
import tempfile
from pathlib import Path

import duckdb

from benchmarks.record import append
from orchestration.defs.publish import stage
from quality.disclosure import primary_violation
from quality.disclosure_audit import audit_published

RESULTS = Path(__file__).parent / "results" / "disclosure.jsonl"


def information_loss(warehouse: Path) -> dict[str, dict[str, float]]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        cells = con.execute(
            """
            select r.indicator_id, r.disclosure_count, r.disclosure_population,
                c.min_denominator, f.suppressed
            from restricted.restricted_area_indicator_month as r
            inner join marts.fct_area_indicator_month as f using (area_id, period, indicator_id)
            inner join reference.indicator_catalogue as c using (indicator_id)
            """
        ).df()
    cells["primary"] = primary_violation(
        cells["disclosure_count"],
        cells["disclosure_population"],
        min_denominator=cells["min_denominator"],
    )
    shares = cells.groupby("indicator_id")[["primary", "suppressed"]].mean()
    return {
        indicator: {"primary": round(row.primary, 3), "full": round(row.suppressed, 3)}
        for indicator, row in shares.iterrows()
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--scale", required=True)
    parser.add_argument("--repeat", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        staged, _ = stage(args.warehouse, Path(folder) / "kvarter.duckdb")
        reports = [audit_published(staged) for _ in range(args.repeat)]
    seconds = [round(r.seconds, 1) for r in reports]
    loss = information_loss(args.warehouse)
    append(
        RESULTS,
        {
            "scale": args.scale,
            "audit_seconds": seconds,
            "median_audit_s": statistics.median(seconds),
            "passed": reports[0].passed,
            "hidden_quantities": reports[0].hidden_quantities,
            "solved_exactly": reports[0].exactly_solved,
            "findings": len(reports[0].findings),
            "hidden_share": loss,
        },
    )
    print("| indicator | primary only | full method |\n|---|---|---|")
    for indicator, share in loss.items():
        print(f"| {indicator} | {share['primary']:.0%} | {share['full']:.0%} |")


if __name__ == "__main__":
    main()
