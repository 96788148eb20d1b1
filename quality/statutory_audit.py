"""The disclosure auditor's checks of the published statutory criteria.

From the published copy alone:
- a criterion's value, or its distance (the value less the threshold), is shown only
  where every fact cell it is computed from is published (present and not suppressed),
  and `withheld_values` names it where its cells are there but one is hidden (a null
  left unnamed would say its denominator was zero);
- the residents and the non-western share, which the register's January cells and the
  income ratio's denominator equal or nearly equal, are not shown beside such a hidden
  cell, and no count of residents of 1-4 is shown (the primary rule, `disclosure_rules`);
- everything else in a row (the met flags, the counts, the lists and the
  classification) is what the values shown give under the law's thresholds (table
  `statutory_thresholds`), a withheld value being unknown: a flag, count or list
  computed from a withheld value bounds it from one side, and would differ from this
  recomputation. It is written here apart from the dbt model, in pandas' three-valued
  (Kleene) booleans.
"""

from __future__ import annotations

import operator

import pandas as pd

# The criteria and the fact cells behind them: column, indicator, the calendar years
# counted, as years before the list year (from, to), and the cells in those years.
CRITERIA_CELLS = [
    ("c1_outside_work_edu", "emp_outside_work_edu", 2, 1, 24),
    ("c2_conviction_ratio", "stat_conviction_ratio", 1, 0, 2),
    ("c3_basic_education", "stat_basic_education", 0, 0, 1),
    ("c4_income_ratio", "stat_income_ratio", 0, 0, 1),
]
# Counts of the national file that hidden fact cells of the list year hold too: column,
# and the cells (indicator, January only).
COUNT_CELLS = [
    ("residents_1_january", [("stat_income_ratio", False), ("pop_residents", True)]),
    ("non_western_share", [("pop_non_western", True)]),
]
# When a criterion is met (almenboligloven § 61 a): above, at or above, above, below.
MET_WHEN = {
    "c1_outside_work_edu": operator.gt,
    "c2_conviction_ratio": operator.ge,
    "c3_basic_education": operator.gt,
    "c4_income_ratio": operator.lt,
}
RULES = [*MET_WHEN, "non_western_share", "min_residents", "min_criteria"]
# The published columns that must follow from the values shown.
FLAGS = [
    "c1_met", "c2_met", "c3_met", "c4_met", "has_min_residents", "is_udsat",
    "is_parallelsamfund", "is_omdannelsesomraade", "is_forebyggelsesomraade",
]  # fmt: skip
COUNTS = ["criteria_met", "criteria_unknown", "forebyggelse_criteria_met"]


def statutory_checks(con, tables: set[str]) -> list[str]:
    if "statutory_criteria" not in tables:
        return []
    found = _hidden_cells(con) + _unnamed(con) + _hidden_counts(con) + _small_residents(con)
    rows = con.execute("select * from statutory_criteria order by area_id, list_year").df()
    if rows.empty:
        return found
    if "statutory_thresholds" not in tables:
        return found + ["statutory_criteria is published without statutory_thresholds"]
    thresholds = (
        con.execute("select rule, udsat, forebyggelse from statutory_thresholds")
        .df()
        .drop_duplicates("rule")
        .set_index("rule")
    )
    missing = [r for r in RULES if r not in thresholds.index]
    if missing:
        return found + [f"statutory_thresholds has no rule {r}" for r in missing]
    twice = rows.duplicated(["area_id", "list_year"], keep=False)
    if twice.any():  # the history of an area needs one row a year
        return found + [
            f"statutory_criteria has more than one row for {a} {y}"
            for a, y in rows.loc[twice, ["area_id", "list_year"]]
            .drop_duplicates()
            .itertuples(index=False)
        ]
    expected = outcome(rows, thresholds)
    for column in FLAGS + COUNTS + ["classification"]:
        wanted = expected[column]
        if column in FLAGS:
            shown = rows[column].astype("boolean")
        elif column in COUNTS:  # as numbers: a fraction must not pass as its integer part
            shown, wanted = pd.to_numeric(rows[column]).astype("Float64"), wanted.astype("Float64")
        else:
            shown = rows[column].astype(object)
        differs = (shown != wanted).fillna(False) | (shown.isna() != wanted.isna())
        found += [
            f"statutory {column} {a} {y} does not follow from the values shown"
            for a, y in rows.loc[differs.to_numpy(), ["area_id", "list_year"]].itertuples(
                index=False
            )
        ]
    return found


def _cells(indicator: str, earliest: int, latest: int) -> str:
    """The fact's cells of `indicator` behind each row: shown, and all there are."""
    return f"""
        select s.area_id, s.list_year,
            count(f.area_id) filter (where not f.suppressed) as shown,
            count(f.area_id) as cells
        from statutory_criteria as s
        left join fct_area_indicator_month as f
            on f.area_id = s.area_id and f.indicator_id = '{indicator}'
            and extract(year from f.period) between s.list_year - {earliest}
                and s.list_year - {latest}
        group by s.area_id, s.list_year
    """


def _hidden_cells(con) -> list[str]:
    """A value or its distance shown without every cell behind it published."""
    found = []
    for column, indicator, earliest, latest, cells in CRITERIA_CELLS:
        distance = f"{column[:2]}_distance"  # the value less the threshold: the value too
        rows = con.execute(f"""
            select s.area_id, s.list_year from statutory_criteria as s
            inner join ({_cells(indicator, earliest, latest)}) as c
                on c.area_id = s.area_id and c.list_year = s.list_year
            where (s.{column} is not null or s.{distance} is not null) and c.shown < {cells}
            order by 1, 2
        """).fetchall()
        found += [f"statutory {column} {a} {y} shows a hidden cell" for a, y in rows]
    return found


def _unnamed(con) -> list[str]:
    """A criterion withheld (all its cells there, one hidden) that `withheld_values` does
    not name: the null would read as a zero denominator or missing data."""
    found = []
    for column, indicator, earliest, latest, cells in CRITERIA_CELLS:
        rows = con.execute(f"""
            select s.area_id, s.list_year from statutory_criteria as s
            inner join ({_cells(indicator, earliest, latest)}) as c
                on c.area_id = s.area_id and c.list_year = s.list_year
            where c.cells = {cells} and c.shown < {cells}
                and not contains(coalesce(s.withheld_values, ''), '{column}')
            order by 1, 2
        """).fetchall()
        found += [f"statutory withheld_values {a} {y} does not name {column}" for a, y in rows]
    return found


def _hidden_counts(con) -> list[str]:
    """The residents or the non-western share shown beside a hidden cell holding them."""
    found = []
    for column, held_by in COUNT_CELLS:
        cells = " or ".join(
            f"(f.indicator_id = '{indicator}'"
            + (" and extract(month from f.period) = 1)" if january else ")")
            for indicator, january in held_by
        )
        rows = con.execute(f"""
            select distinct s.area_id, s.list_year from statutory_criteria as s
            inner join fct_area_indicator_month as f
                on f.area_id = s.area_id and extract(year from f.period) = s.list_year
                and ({cells})
            where s.{column} is not null and f.suppressed
            order by 1, 2
        """).fetchall()
        found += [f"statutory {column} {a} {y} shows a hidden cell" for a, y in rows]
    return found


def _small_residents(con) -> list[str]:
    """The residents are a count: 1-4 (under `min_count`) is not shown."""
    rows = con.execute("""
        select s.area_id, s.list_year from statutory_criteria as s
        cross join disclosure_rules as rules
        where s.residents_1_january > 0 and s.residents_1_january < rules.min_count
        order by 1, 2
    """).fetchall()
    return [f"statutory residents_1_january {a} {y} is a small count" for a, y in rows]


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
