"""Publish the disclosure-controlled marts as a separate, atomically swapped DuckDB file.

Dashboards and department queries read this copy, so they never hold a lock on the
warehouse the pipeline writes, and never see a half-built state. The copy is staged
beside the target and audited for disclosure (quality/disclosure_audit.py) before the
swap: a copy that gives a hidden value away is never published, and the old one stays.
"""

import os
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.defs.alerts import alert_episodes
from orchestration.defs.dbt import (
    DIM_AREA,
    DIM_AREA_GEOMETRY,
    DIM_HOUSING_DEPARTMENT,
    DIM_INDICATOR,
    DISCLOSURE_RELATIONS,
    DISCLOSURE_RULES,
    DISCLOSURE_STOCK_FLOWS,
    FACT,
    PROFILE,
    STATUTORY,
    STATUTORY_THRESHOLDS,
)
from orchestration.defs.detection import area_signals
from orchestration.resources import WAREHOUSE_POOL, KvarterStorage
from quality.disclosure_audit import AuditReport, audit_published
from quality.disclosure_memory import (
    REMEMBERED,
    carry_remembered,
    moved_hidden_given_away,
    no_longer_published,
    shown_after_hidden,
    withdrawn_unchanged,
)

PUBLISHED_TABLES = {
    "fct_area_indicator_month": "marts.fct_area_indicator_month",
    "dim_area": "marts.dim_area",
    "area_geometry": "marts.dim_area_geometry",
    "dim_housing_department": "marts.dim_housing_department",
    "statutory_criteria": "marts.statutory_criteria",
    "statutory_thresholds": "reference.statutory_thresholds",
    "kvarterprofil": "marts.kvarterprofil",
    "indicator_catalogue": "marts.dim_indicator",
    "disclosure_rules": "reference.disclosure_rules",
    "disclosure_relations": "reference.disclosure_relations",
    "disclosure_stock_flows": "reference.disclosure_stock_flows",
    "signals": "signals.signal_states",
    "alert_episodes": "alerts.published_episodes",
    "alert_transitions": "alerts.published_transitions",
}
# Examples of exposures named in the check's metadata (the restricted Dagster UI).
EXAMPLES_SHOWN = 20

# The fact's memory (dbt source publication.published_cells), shown in the asset graph.
# The marts step writes it before dbt runs; as an asset of its own it would close a cycle
# (published_marts -> memory -> fact -> published_marts).
published_cells = dg.AssetSpec(
    key=dg.AssetKey(["publication", "published_cells"]),
    group_name="publish",
    description=(
        "The cells the live published copy shows and hides, and those it remembers from "
        "earlier copies, copied into the warehouse before each marts build: the fact "
        "publishes the shown ones again while their values are unchanged and keeps hiding "
        "the hidden ones (quality/disclosure_memory.py)."
    ),
)


class DisclosureError(Exception):
    """The staged copy failed the disclosure audit and was not published."""

    def __init__(self, report: AuditReport):
        findings = report.findings
        super().__init__(
            f"disclosure audit failed: {len(findings)} finding(s), e.g. "
            + "; ".join(findings[:EXAMPLES_SHOWN])
        )
        self.report = report


def stage(warehouse: Path, target: Path) -> tuple[Path, dict[str, int]]:
    """Copy the published tables into a staging file beside `target`."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staged = target.with_name(target.name + ".tmp")
    staged.unlink(missing_ok=True)
    counts = {}
    con = duckdb.connect(str(staged))
    try:
        con.execute(f"attach '{warehouse}' as warehouse (read_only)")
        for name, source in PUBLISHED_TABLES.items():
            con.execute(f"create table main.{name} as select * from warehouse.{source}")
            counts[name] = con.execute(f"select count(*) from main.{name}").fetchall()[0][0]
        con.execute("detach warehouse")
    finally:
        con.close()
    return staged, counts


def audit_memo(warehouse: Path) -> Path:
    """The last audit's intervals per block (quality/disclosure_audit.py: `BlockMemo`),
    beside the warehouse in the restricted zone."""
    return warehouse.with_name(warehouse.name + ".audit.npz")


def publish(
    warehouse: Path, target: Path
) -> tuple[dict[str, int], AuditReport, dict[str, list[str]]]:
    """Stage, audit, and swap the copy into place atomically; raise if the audit fails or
    the copy would hide a cell the live one publishes with the same value (the audit of a
    copy covers the earlier ones only while each holds the one before), show one it hid,
    or show where a hidden cell moved. Returns the tables' row counts, the audit,
    and the live copy's cells the new one no longer publishes (`no_longer_published`).
    The copy also carries the cells earlier copies published or hid that it does not hold
    (`carry_remembered`)."""
    staged, counts = stage(warehouse, target)
    try:
        counts[REMEMBERED] = carry_remembered(staged, target)
        report = audit_published(staged, memo=audit_memo(warehouse))
        report.inconsistencies += withdrawn_unchanged(staged, warehouse, target)
        report.inconsistencies += shown_after_hidden(staged, target)
        report.inconsistencies += moved_hidden_given_away(staged, target)
        if not report.passed:
            raise DisclosureError(report)
        withdrawn = no_longer_published(staged, target)
    except Exception:
        staged.unlink()
        raise
    os.replace(staged, target)
    write_parquet(target)
    return counts, report, withdrawn


def write_parquet(published: Path) -> None:
    """Each published table also as Parquet in `parquet/` beside the copy, for analysts'
    tools (pandas, Excel/Power BI); each file swapped in whole."""
    folder = published.parent / "parquet"
    folder.mkdir(exist_ok=True)
    with duckdb.connect(str(published), read_only=True) as con:
        for name in PUBLISHED_TABLES:
            staged = folder / f"{name}.parquet.tmp"
            con.execute(f"select * from {name}").df().to_parquet(staged, index=False)
            os.replace(staged, folder / f"{name}.parquet")


def _check_metadata(report: AuditReport) -> dict:
    findings = report.findings
    return {
        "protection_level": report.protection_level,
        "hidden_quantities": report.hidden_quantities,
        "solved_exactly": report.exactly_solved,
        "blocks_reused": report.blocks_reused,
        "findings": len(findings),
        "examples": dg.MetadataValue.md("\n".join(f"- {f}" for f in findings[:EXAMPLES_SHOWN])),
        "seconds": round(report.seconds, 2),
    }


@dg.asset(
    deps=[
        FACT,
        DIM_AREA,
        DIM_AREA_GEOMETRY,
        DIM_HOUSING_DEPARTMENT,
        STATUTORY,
        STATUTORY_THRESHOLDS,
        PROFILE,
        DIM_INDICATOR,
        DISCLOSURE_RULES,
        DISCLOSURE_RELATIONS,
        DISCLOSURE_STOCK_FLOWS,
        area_signals,
        alert_episodes,
    ],
    group_name="publish",
    pool=WAREHOUSE_POOL,
    kinds={"duckdb"},
    description="Read-only copy of the published marts for dashboards and departments.",
    check_specs=[
        dg.AssetCheckSpec(
            "disclosure_audit",
            asset="published_marts",
            blocking=True,
            description=(
                "Linear programs over everything published: no hidden quantity is known to "
                "within less than the protection level (checked before the copy is swapped in)."
            ),
        )
    ],
)
def published_marts(context: dg.AssetExecutionContext, storage: KvarterStorage):
    try:
        counts, report, withdrawn = publish(
            Path(storage.warehouse_path), Path(storage.published_path)
        )
    except DisclosureError as error:
        yield dg.AssetCheckResult(
            check_name="disclosure_audit", passed=False, metadata=_check_metadata(error.report)
        )
        raise dg.Failure(str(error)) from error
    if withdrawn["gone"]:
        # Not a disclosure by this copy, but the old values stay public beside it.
        context.log.warning(
            f"{len(withdrawn['gone'])} cell(s) the last copy published are gone from the"
            f" warehouse, e.g. {'; '.join(withdrawn['gone'][:EXAMPLES_SHOWN])}"
        )
    yield dg.MaterializeResult(
        metadata={
            "path": storage.published_path,
            **{f"rows_{k}": v for k, v in counts.items()},
            "cells_withdrawn_restated": len(withdrawn["hidden"]),
            "cells_withdrawn_gone": len(withdrawn["gone"]),
        }
    )
    yield dg.AssetCheckResult(
        check_name="disclosure_audit", passed=True, metadata=_check_metadata(report)
    )
