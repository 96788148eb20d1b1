"""The disclosure auditor's checks of the published statutory criteria.

From the published copy alone:
- a criterion's value, or its distance (the value less the threshold), is shown only
  where every fact cell it is computed from is published (present and not suppressed,
  the copy's remembered cells counted too); `withheld_values` names every criterion
  whose cells the fact holds but hides (a null left unnamed would say its denominator
  was zero), and no criterion it shows;
- the residents and the non-western share are not shown beside a hidden January cell of
  the register's counts they equal or nearly equal (held or remembered by the copy), and
  pass the primary rule on their own counts (`disclosure_rules`);
- everything else in a row (the met flags, the counts, the lists and the
  classification) is what the values shown give under the law's thresholds (table
  `statutory_thresholds`), a withheld value being unknown: a flag, count or list
  computed from a withheld value bounds it from one side, and would differ from this
  recomputation. It is written here apart from the dbt model, in pandas' three-valued
  (Kleene) booleans.
A copy that lacks a column or table these need, or holds a value of the wrong kind, is
a finding too, not an exception: the audit must always answer. The kinds are checked
first (`_typed`), so the SQL after it can cast plainly; it is portable SQL.
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
# Counts of the national file and the register's January cells of the list year that
# equal or nearly equal them (the share with the residents: with the register's
# non-western count it gives them).
COUNT_CELLS = {
    "residents_1_january": ("pop_residents",),
    "non_western_share": ("pop_non_western", "pop_residents"),
}
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
VALUES = ["residents_1_january", "non_western_share", *MET_WHEN]
COLUMNS = [
    "area_id", "list_year", *VALUES, *(f"c{k}_distance" for k in range(1, 5)), *FLAGS,
    *COUNTS, "classification", "withheld_values",
]  # fmt: skip
CELL_COLUMNS = ["area_id", "period", "indicator_id", "suppressed"]
NEEDED = {
    "fct_area_indicator_month": CELL_COLUMNS,
    "disclosure_rules": ["min_count", "min_complement", "min_denominator"],
    "statutory_thresholds": ["rule", "udsat", "forebyggelse"],
    "statutory_criteria": COLUMNS,
}


def statutory_checks(con, tables: set[str]) -> list[str]:
    if "statutory_criteria" not in tables:
        return []
    missing = _missing_columns(con, tables)
    if missing:
        return missing
    rows = con.execute("select * from statutory_criteria order by area_id, list_year").df()
    typed = _typed(rows)
    if isinstance(typed, list):
        return typed
    # Every cell the copy holds (held) or remembers from earlier copies.
    cells = f"select {', '.join(CELL_COLUMNS)}, true as held from fct_area_indicator_month"
    if "remembered_cells" in tables:
        cells += f" union all select {', '.join(CELL_COLUMNS)}, false from remembered_cells"
    found = _criteria_cells(con, cells) + _count_cells(con, cells) + _small_counts(con)
    if rows.empty:
        return found
    thresholds = (
        con.execute("select rule, udsat, forebyggelse from statutory_thresholds")
        .df()
        .dropna()
        .drop_duplicates("rule")
        .set_index("rule")
    )
    absent = [f"statutory_thresholds has no rule {r}" for r in RULES if r not in thresholds.index]
    twice = rows.duplicated(["area_id", "list_year"], keep=False)
    found += [  # the history of an area needs one row a year
        f"statutory_criteria has more than one row for {a} {y}"
        for a, y in rows.loc[twice, ["area_id", "list_year"]]
        .drop_duplicates()
        .itertuples(index=False)
    ]
    if absent or twice.any():
        return found + absent
    expected = outcome(typed, thresholds.astype(float))
    for column in FLAGS + COUNTS + ["classification"]:
        shown, wanted = typed[column], expected[column]
        if column in COUNTS:  # as numbers: a fraction must not pass as its integer part
            wanted = wanted.astype("Float64")
        differs = (shown != wanted).fillna(False) | (shown.isna() != wanted.isna())
        found += [
            f"statutory {column} {a} {y} does not follow from the values shown"
            for a, y in rows.loc[differs.to_numpy(), ["area_id", "list_year"]].itertuples(
                index=False
            )
        ]
    return found


def _missing_columns(con, tables: set[str]) -> list[str]:
    present = con.execute(
        "select table_name, column_name from information_schema.columns"
    ).fetchall()
    needed = {
        **NEEDED,
        **({"remembered_cells": CELL_COLUMNS} if "remembered_cells" in tables else {}),
    }
    return [
        f"{table} lacks column {column}" if table in tables else f"{table} is not published"
        for table, columns in needed.items()
        for column in (columns if table in tables else columns[:1])
        if (table, column) not in present
    ]


def _typed(rows: pd.DataFrame) -> pd.DataFrame | list[str]:
    """The published columns as the recomputation reads them (flags as three-valued
    booleans, values and counts as numbers), or what could not be read as such."""
    typed, wrong = rows.copy(), []
    for column in FLAGS:  # true, false or null: not a number that casts to true
        if rows[column].map(lambda v: v is None or v is pd.NA or isinstance(v, bool)).all():
            typed[column] = rows[column].astype("boolean")
        else:
            wrong.append(
                f"statutory_criteria column {column} holds values that are not true or false"
            )
    for column in ["list_year", *VALUES, *COUNTS]:
        try:
            typed[column] = rows[column].astype("Float64")
        except (TypeError, ValueError):
            wrong.append(f"statutory_criteria column {column} holds values that are not numbers")
    return wrong or typed


def _criteria_cells(con, cells: str) -> list[str]:
    """A value or its distance shown without every cell behind it published (held or
    remembered); a criterion whose cells the copy holds but hides, unnamed in
    `withheld_values`; and one named there but shown."""
    found = []
    for column, indicator, earliest, latest, count in CRITERIA_CELLS:
        distance = f"{column[:2]}_distance"  # the value less the threshold: the value too
        rows = con.execute(f"""
            select s.area_id, s.list_year,
                s.{column} is not null or s.{distance} is not null as shown,
                position(
                    ', {column}, '
                    in ', ' || coalesce(cast(s.withheld_values as varchar), '') || ', '
                ) > 0 as named,
                count(distinct f.period) filter (where not f.suppressed) as published,
                count(distinct f.period) filter (where f.held) as held,
                count(distinct f.period) filter (where f.held and f.suppressed) as hidden
            from statutory_criteria as s
            left join ({cells}) as f
                on f.area_id = s.area_id and f.indicator_id = '{indicator}'
                and extract(year from f.period)
                    between cast(s.list_year as integer) - {earliest}
                    and cast(s.list_year as integer) - {latest}
            group by s.area_id, s.list_year, s.{column}, s.{distance}, s.withheld_values
            order by 1, 2
        """).fetchall()
        for area, year, shown, named, published, held, hidden in rows:
            if shown and published < count:
                found.append(f"statutory {column} {area} {year} shows a hidden cell")
            if held == count and hidden and not named:
                found.append(f"statutory withheld_values {area} {year} does not name {column}")
            if named and shown:
                found.append(f"statutory withheld_values {area} {year} names {column}, shown")
    return found


def _count_cells(con, cells: str) -> list[str]:
    """The residents or the non-western share shown beside a hidden January cell that
    holds them (held or remembered)."""
    found = []
    for column, indicators in COUNT_CELLS.items():
        held_by = ", ".join(f"'{i}'" for i in indicators)  # constants of this module
        rows = con.execute(f"""
            select distinct s.area_id, s.list_year from statutory_criteria as s
            inner join ({cells}) as f
                on f.area_id = s.area_id and f.indicator_id in ({held_by})
                and f.period = make_date(cast(s.list_year as integer), 1, 1)
            where s.{column} is not null and f.suppressed
            order by 1, 2
        """).fetchall()
        found += [f"statutory {column} {a} {y} shows a hidden cell" for a, y in rows]
    return found


def _small_counts(con) -> list[str]:
    """The primary rule on the residents (a count: 1-4 is not shown) and on the
    non-western residents the share and the residents give (a share without the
    residents is refused too: the model withholds it with them)."""
    rows = con.execute("""
        with counts as (
            select area_id, list_year,
                cast(residents_1_january as double precision) as residents,
                cast(non_western_share as double precision) as share
            from statutory_criteria
        )
        select c.area_id, c.list_year,
            case when c.residents > 0 and c.residents < r.min_count then 'is a small count' end,
            case
                when c.share is null then null
                when c.residents is null then 'is shown without the residents'
                when round(c.share * c.residents) between 1 and r.min_count - 1
                    or c.residents < r.min_denominator
                    or c.residents - round(c.share * c.residents)
                        between 1 and r.min_complement - 1
                    then 'is a small count'
            end
        from counts as c cross join disclosure_rules as r
        order by 1, 2
    """).fetchall()
    return [
        f"statutory {column} {area} {year} {why}"
        for area, year, *reasons in rows
        for column, why in zip(["residents_1_january", "non_western_share"], reasons)
        if why
    ]


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
