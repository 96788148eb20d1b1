"""The disclosure auditor's checks of the published statutory criteria.

Two things, from the published copy alone. No criterion's value, or its distance (the
value less the threshold), is shown beside a hidden fact cell behind it. And everything
else in a row (the met flags, the counts, the lists and the classification) is what the
values shown give under the law's thresholds (table `statutory_thresholds`), a withheld
value being unknown: a flag, count or list computed from a withheld value bounds it
from one side, and would be a difference from this recomputation. The recomputation is
written here apart from the dbt model, in pandas' three-valued (Kleene) booleans.
"""

from __future__ import annotations

import operator

import pandas as pd

# The criteria and the fact cells behind them: column, indicator, and the calendar years
# counted, as years before the list year (from, to).
CRITERIA_CELLS = [
    ("c1_outside_work_edu", "emp_outside_work_edu", 2, 1),
    ("c2_conviction_ratio", "stat_conviction_ratio", 1, 0),
    ("c3_basic_education", "stat_basic_education", 0, 0),
    ("c4_income_ratio", "stat_income_ratio", 0, 0),
]
# When a criterion is met (almenboligloven § 61 a): above, at or above, above, below.
MET_WHEN = {
    "c1_outside_work_edu": operator.gt,
    "c2_conviction_ratio": operator.ge,
    "c3_basic_education": operator.gt,
    "c4_income_ratio": operator.lt,
}
# The published columns that must follow from the values shown.
DERIVED = [
    "c1_met", "c2_met", "c3_met", "c4_met", "criteria_met", "criteria_unknown",
    "forebyggelse_criteria_met", "has_min_residents", "is_udsat", "is_parallelsamfund",
    "is_omdannelsesomraade", "is_forebyggelsesomraade", "classification",
]  # fmt: skip


def statutory_checks(con, tables: set[str]) -> list[str]:
    if "statutory_criteria" not in tables:
        return []
    found = _hidden_cells(con)
    rows = con.execute("select * from statutory_criteria order by area_id, list_year").df()
    if rows.empty:
        return found
    if "statutory_thresholds" not in tables:
        return found + ["statutory_criteria is published without statutory_thresholds"]
    thresholds = con.execute(
        "select rule, udsat, forebyggelse from statutory_thresholds"
    ).df().set_index("rule")
    expected = outcome(rows, thresholds)
    for column in DERIVED:
        shown, wanted = rows[column].astype(expected[column].dtype), expected[column]
        differs = (shown != wanted).fillna(False) | (shown.isna() != wanted.isna())
        found += [
            f"statutory {column} {a} {y} does not follow from the values shown"
            for a, y in rows.loc[differs.to_numpy(), ["area_id", "list_year"]].itertuples(
                index=False
            )
        ]
    return found


def _hidden_cells(con) -> list[str]:
    found = []
    for column, indicator, earliest, latest in CRITERIA_CELLS:
        distance = f"{column[:2]}_distance"  # the value less the threshold: the value too
        rows = con.execute(
            f"""
            select distinct s.area_id, s.list_year from statutory_criteria as s
            inner join fct_area_indicator_month as f
                on f.area_id = s.area_id and f.indicator_id = ?
                and extract(year from f.period) between s.list_year - ? and s.list_year - ?
            where (s.{column} is not null or s.{distance} is not null) and f.suppressed
            order by 1, 2
            """,
            [indicator, earliest, latest],
        ).fetchall()
        found += [f"statutory {column} {a} {y} shows a hidden cell" for a, y in rows]
    return found


def _known(flags: pd.Series) -> pd.Series:
    """Counts as integers: a known true flag is 1, false and unknown 0."""
    return flags.fillna(False).astype(int)


def _enough(met: pd.Series, unknown: pd.Series, least: float) -> pd.Series:
    """True when enough are met, false when too few can be even if every unknown one
    were, unknown in between."""
    enough = pd.Series(pd.NA, index=met.index, dtype="boolean")
    enough[met >= least] = True
    enough[met + unknown < least] = False
    return enough


def outcome(rows: pd.DataFrame, thresholds: pd.DataFrame) -> pd.DataFrame:
    """The flags, counts, lists and classification that the values shown in `rows`
    (one per area and list year) give."""
    udsat, forebyggelse = thresholds["udsat"], thresholds["forebyggelse"]
    out = pd.DataFrame(index=rows.index)
    forebyggelse_flags = []
    for column, met_when in MET_WHEN.items():
        value = rows[column].astype("Float64")
        out[f"{column[:2]}_met"] = met_when(value, udsat[column])
        forebyggelse_flags.append(met_when(value, forebyggelse[column]))
    flags = out[[f"c{k}_met" for k in range(1, 5)]]
    out["criteria_met"] = sum(_known(flags[c]) for c in flags)
    out["criteria_unknown"] = sum(flags[c].isna().astype(int) for c in flags)
    out["forebyggelse_criteria_met"] = sum(_known(f) for f in forebyggelse_flags)
    residents = rows["residents_1_january"].astype("Float64")
    out["has_min_residents"] = residents >= udsat["min_residents"]
    least = udsat["min_criteria"]
    enough = _enough(out["criteria_met"], out["criteria_unknown"], least)
    enough_forebyggelse = _enough(
        out["forebyggelse_criteria_met"], out["criteria_unknown"], forebyggelse["min_criteria"]
    )
    share = rows["non_western_share"].astype("Float64")
    out["is_udsat"] = out["has_min_residents"] & enough
    out["is_parallelsamfund"] = out["is_udsat"] & (share > udsat["non_western_share"])
    out["is_forebyggelsesomraade"] = (
        out["has_min_residents"]
        & enough_forebyggelse
        & (share > forebyggelse["non_western_share"])
        & ~enough
    )
    out["is_omdannelsesomraade"] = _omdannelse(rows, out["is_parallelsamfund"])
    out["classification"] = _classification(out)
    return out


def _omdannelse(rows: pd.DataFrame, parallel: pd.Series) -> pd.Series:
    """Parallelsamfund in this list year and each of the 4 before (rows of the same
    area): false once one of them is known not to be, true when all 5 are known to be."""
    by_year = pd.Series(
        parallel.to_numpy(), index=pd.MultiIndex.from_frame(rows[["area_id", "list_year"]])
    )
    parallel_before = other_before = 0
    for back in range(1, 5):
        earlier = by_year.reindex(
            pd.MultiIndex.from_arrays([rows["area_id"], rows["list_year"] - back])
        ).to_numpy()
        earlier = pd.array(earlier, dtype="boolean")
        parallel_before = parallel_before + earlier.fillna(False).astype(int)
        other_before = other_before + (~earlier).fillna(False).astype(int)
    result = pd.Series(pd.NA, index=rows.index, dtype="boolean")
    result[((parallel == True) & (parallel_before == 4)).fillna(False)] = True  # noqa: E712
    result[((parallel == False).fillna(False)) | (other_before > 0)] = False  # noqa: E712
    return result


def _classification(out: pd.DataFrame) -> pd.Series:
    """The most specific list that is decided, else 'ukendt' (first true case wins)."""
    cases = [
        ("omdannelsesområde", out["is_omdannelsesomraade"]),
        ("parallelsamfund", out["is_parallelsamfund"] & ~out["is_omdannelsesomraade"]),
        ("udsat boligområde", out["is_udsat"] & ~out["is_parallelsamfund"]),
        ("forebyggelsesområde", out["is_forebyggelsesomraade"]),
        ("ingen", ~out["is_udsat"] & ~out["is_forebyggelsesomraade"]),
    ]
    classification = pd.Series("ukendt", index=out.index, dtype=object)
    for name, case in reversed(cases):
        classification[case.fillna(False).to_numpy()] = name
    return classification
