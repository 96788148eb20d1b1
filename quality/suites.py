"""Great Expectations suites for the marts, as code.

The suites validate a pandas frame of the mart plus a few derived columns that turn
cross-column rules (disclosure control, share bounds from the catalogue) into single
column expectations.
"""

from __future__ import annotations

import pandas as pd

from quality.disclosure import primary_violation
from quality.gx_runner import SuiteResult, run_suites

KEY = ["area_id", "period", "indicator_id"]
FACT_COLUMNS = [
    "municipality_value",
    "area_id",
    "period",
    "indicator_id",
    "numerator",
    "denominator",
    "value",
    "suppressed",
    "suppression_reason",
]
RESTRICTED_COLUMNS = [
    "area_id",
    "period",
    "indicator_id",
    "numerator",
    "denominator",
    "value",
    "disclosure_count",
    "disclosure_population",
]


def lone_suppressed_cell_exposed(frame: pd.DataFrame) -> pd.Series:
    """True on the rows of an indicator and month where exactly one area cell is
    suppressed while the municipality total is published: subtraction would recover it."""
    keys = ["indicator_id", "period"]
    is_total = frame["area_id"] == "municipality"
    suppressed = frame["suppressed"].astype(bool)
    lone = (suppressed & ~is_total).groupby([frame[k] for k in keys]).transform("sum") == 1
    total_published = (~suppressed & is_total).groupby([frame[k] for k in keys]).transform("any")
    return lone & total_published


def _with_derived(frame: pd.DataFrame, catalogue: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    share_ids = set(catalogue.loc[catalogue["unit"] == "pct", "indicator_id"])
    out["share_value"] = out["value"].where(out["indicator_id"].isin(share_ids))
    # Ratios to a reference (observed / expected) may exceed 1, and their numerator and
    # denominator are not the people disclosure control judges: the rate rules skip them
    # (dbt judges their people from the restricted disclosure columns, unit-tested).
    is_rate = ~out["indicator_id"].isin(
        set(catalogue.loc[catalogue["unit"] == "ratio", "indicator_id"])
    )
    out["rate_numerator"] = out["numerator"].where(is_rate)
    out["rate_denominator"] = out["denominator"].where(is_rate)
    if "suppressed" in out:
        published = ~out["suppressed"].astype(bool)
        for column in ("value", "numerator", "denominator"):
            out[f"{column}_when_suppressed"] = out[column].where(~published)
        min_denominator = None
        if "min_denominator" in catalogue:
            limits = catalogue.set_index("indicator_id")["min_denominator"]
            min_denominator = out["indicator_id"].map(limits)
        out["disclosure_violation"] = (
            published
            & is_rate
            & primary_violation(
                out["numerator"], out["denominator"], min_denominator=min_denominator
            )
        )
        out["lone_suppressed_cell_exposed"] = lone_suppressed_cell_exposed(out)
    return out


def _expectations(columns: list[str], indicator_ids: list[str], published: bool) -> list:
    import great_expectations as gx

    e = gx.expectations
    suite = [
        e.ExpectTableRowCountToBeBetween(min_value=1),
        e.ExpectTableColumnsToMatchSet(column_set=columns, exact_match=False),
        e.ExpectCompoundColumnsToBeUnique(column_list=KEY),
        *[e.ExpectColumnValuesToNotBeNull(column=c) for c in KEY],
        e.ExpectColumnValuesToBeInSet(column="indicator_id", value_set=indicator_ids),
        e.ExpectColumnValuesToBeBetween(column="share_value", min_value=0, max_value=1),
        e.ExpectColumnValuesToBeBetween(column="numerator", min_value=0),
        e.ExpectColumnPairValuesAToBeGreaterThanB(
            column_A="rate_denominator",
            column_B="rate_numerator",
            or_equal=True,
            ignore_row_if="either_value_is_missing",
        ),
    ]
    if published:
        suite += [
            e.ExpectColumnValuesToNotBeNull(column="suppressed"),
            *[
                e.ExpectColumnValuesToBeNull(column=f"{c}_when_suppressed")
                for c in ("value", "numerator", "denominator")
            ],
            e.ExpectColumnValuesToBeInSet(column="disclosure_violation", value_set=[False]),
            e.ExpectColumnValuesToBeInSet(column="lone_suppressed_cell_exposed", value_set=[False]),
        ]
    else:
        suite.append(e.ExpectColumnValuesToNotBeNull(column="numerator"))
    return suite


def validate_indicator_mart(
    name: str, frame: pd.DataFrame, catalogue: pd.DataFrame, published: bool
) -> SuiteResult:
    """Validate an area x month x indicator mart; `published` adds disclosure rules."""
    columns = FACT_COLUMNS if published else RESTRICTED_COLUMNS
    expectations = _expectations(columns, sorted(catalogue["indicator_id"]), published)
    [result] = run_suites([(name, _with_derived(frame, catalogue), expectations)])
    return result
