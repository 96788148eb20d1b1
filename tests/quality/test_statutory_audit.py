"""The auditor's checks of the published statutory criteria, on hand-made copies."""

import duckdb
import pandas as pd
import pytest

from quality.statutory_audit import outcome, statutory_checks

THRESHOLDS = pd.DataFrame(
    {
        "rule": [
            "c1_outside_work_edu", "c2_conviction_ratio", "c3_basic_education",
            "c4_income_ratio", "non_western_share", "min_residents", "min_criteria",
        ],
        "udsat": [0.40, 3.0, 0.60, 0.55, 0.50, 1000.0, 2.0],
        "forebyggelse": [0.30, 2.0, 0.60, 0.65, 0.30, 1000.0, 2.0],
    }
)  # fmt: skip
VALUES = [
    "area_id", "list_year", "residents_1_january", "non_western_share",
    "c1_outside_work_edu", "c2_conviction_ratio", "c3_basic_education", "c4_income_ratio",
]  # fmt: skip
NA = pd.NA


def values(*rows) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=VALUES)


def test_the_outcome_is_worked_out_from_the_values_shown():
    rows = values(
        # 45 % outside work (met), ratio 1, 50 % basic education, income 50 %: 2 met.
        ("A", 2025, 1200, 0.20, 0.45, 1.0, 0.50, 0.50),
        # Criterion 2 withheld: 1 met (c1), 1 unknown, so udsat is open; at the
        # forebyggelse thresholds c1 and c4 (60 % < 65 %) make 2, but not udsat is not
        # known: forebyggelse open too -> ukendt.
        ("B", 2025, 1200, 0.35, 0.45, NA, 0.50, 0.60),
        # Every criterion met, 999 residents: on no list.
        ("C", 2025, 999, 0.60, 0.50, 4.0, 0.70, 0.40),
        # Udsat and 60 % non-western in 2021-2025: omdannelse in 2025 only (5 known
        # years); 2024 has 3 known years before it, so its omdannelse is open.
        *[("D", y, 2000, 0.60, 0.45, 1.0, 0.50, 0.50) for y in range(2021, 2026)],
        # Not parallelsamfund in 2024 (45 %): 2025 is parallelsamfund, not omdannelse.
        ("G", 2024, 2000, 0.45, 0.45, 1.0, 0.50, 0.50),
        ("G", 2025, 2000, 0.60, 0.45, 1.0, 0.50, 0.50),
    )
    got = outcome(rows, THRESHOLDS.set_index("rule"))
    got.index = [f"{a} {y}" for a, y in zip(rows["area_id"], rows["list_year"])]
    assert got.loc["A 2025"].tolist() == [
        True, False, False, True, 2, 0, 2, True, True, False, False, False, "udsat boligområde"
    ]  # fmt: skip
    b = got.loc["B 2025"]
    assert [b.c1_met, b.c3_met, b.c4_met] == [True, False, False] and b.c2_met is NA
    assert [b.criteria_met, b.criteria_unknown, b.forebyggelse_criteria_met] == [1, 1, 2]
    assert b.is_udsat is NA and b.is_forebyggelsesomraade is NA
    assert not b.is_parallelsamfund and not b.is_omdannelsesomraade
    assert b.classification == "ukendt"
    assert got.loc["C 2025", "criteria_met"] == 4
    assert got.loc["C 2025", "has_min_residents"] == False  # noqa: E712
    assert got.loc["C 2025", "classification"] == "ingen"
    assert got.loc["D 2025", "is_omdannelsesomraade"] == True  # noqa: E712
    assert got.loc["D 2025", "classification"] == "omdannelsesområde"
    assert got.loc["D 2024", "is_omdannelsesomraade"] is NA
    assert got.loc["D 2024", "classification"] == "ukendt"
    assert got.loc["G 2025", "is_omdannelsesomraade"] == False  # noqa: E712
    assert got.loc["G 2025", "classification"] == "parallelsamfund"


# A published row of area A, 2025: criterion 2 withheld (its 2024 cell hidden), criterion
# 1 (45 %) and 4 (50 %) met: udsat from the values shown, whatever criterion 2 is.
ROW = {
    "area_id": "A", "list_year": 2025, "preliminary": False, "residents_1_january": 1200,
    "c1_met": True, "c2_met": None, "c3_met": False, "c4_met": True, "criteria_met": 2,
    "criteria_unknown": 1, "forebyggelse_criteria_met": 2, "has_min_residents": True,
    "is_udsat": True, "is_parallelsamfund": False, "is_omdannelsesomraade": False,
    "is_forebyggelsesomraade": False, "non_western_share": 0.2, "c1_outside_work_edu": 0.45,
    "c2_conviction_ratio": None, "c3_basic_education": 0.5, "c4_income_ratio": 0.5,
    "c1_distance": 0.05, "c2_distance": None, "c3_distance": -0.1, "c4_distance": 0.05,
    "classification": "udsat boligområde", "withheld_values": "c2_conviction_ratio",
}  # fmt: skip


def findings(tmp_path, thresholds=True, hidden=(), absent=(), remembered=(), rows=None, **changes):
    """The auditor's findings on a copy of area A's 2025 row (with `changes`) and the
    cells behind it, all published but the 2024 conviction cell and those `hidden`
    (indicator ids: their January 2025 cell), without the `absent` ones."""
    path = tmp_path / "copy.duckdb"
    path.unlink(missing_ok=True)
    criteria = pd.DataFrame(rows or [{**ROW, **changes}])
    for flag in ["c1_met", "c2_met", "c3_met", "c4_met"]:  # a null flag: still boolean
        if criteria[flag].map(lambda v: v is None or isinstance(v, bool)).all():
            criteria[flag] = criteria[flag].astype("boolean")
    months = pd.date_range("2023-01", "2024-12", freq="MS")
    january = pd.Timestamp("2025-01-01")
    yearly = [
        "stat_conviction_ratio", "stat_basic_education", "stat_income_ratio",
        "pop_residents", "pop_non_western",
    ]  # fmt: skip
    cells = pd.DataFrame(
        [("emp_outside_work_edu", month, False) for month in months]
        + [("stat_conviction_ratio", pd.Timestamp("2024-01-01"), True)]
        + [(indicator, january, indicator in hidden) for indicator in yearly],
        columns=["indicator_id", "period", "suppressed"],
    ).assign(area_id="A")
    cells = cells[~cells[["indicator_id", "period"]].apply(tuple, axis=1).isin(absent)]
    with duckdb.connect(str(path)) as con:
        con.execute(
            "create table disclosure_rules as"
            " select 5 as min_count, 5 as min_complement, 20 as min_denominator"
        )
        con.register("criteria", criteria)
        con.register("cells", cells)
        con.execute("create table statutory_criteria as select * from criteria")
        con.execute("create table fct_area_indicator_month as select * from cells")
        tables = {"statutory_criteria", "fct_area_indicator_month"}
        if remembered:
            kept = pd.DataFrame(remembered, columns=["indicator_id", "period", "suppressed"])
            con.register("kept", kept.assign(area_id="A"))
            con.execute("create table remembered_cells as select * from kept")
            tables.add("remembered_cells")
        if thresholds is not False:
            rules = THRESHOLDS if thresholds is True else thresholds
            con.register("thresholds", rules)
            con.execute("create table statutory_thresholds as select * from thresholds")
            tables.add("statutory_thresholds")
        return statutory_checks(con, tables)


def follows(column: str, area: str = "A", year: int = 2025) -> str:
    return f"statutory {column} {area} {year} does not follow from the values shown"


def test_a_row_computed_from_the_values_shown_passes(tmp_path):
    assert findings(tmp_path) == []


@pytest.mark.parametrize(
    "changes, found",
    [
        # The flag of the withheld criterion 2 (not met) bounds its hidden year.
        ({"c2_met": False}, ["c2_met"]),
        ({"c2_met": False, "criteria_unknown": 0}, ["c2_met", "criteria_unknown"]),
        # The counts made of it say the same without the flag.
        ({"criteria_unknown": 0}, ["criteria_unknown"]),
        ({"forebyggelse_criteria_met": 3}, ["forebyggelse_criteria_met"]),
        # Criterion 3 at 50 % shown: its flag cannot be true.
        ({"c3_met": True, "criteria_met": 3}, ["c3_met", "criteria_met"]),
    ],
)
def test_a_flag_or_count_not_made_of_the_values_shown_is_a_finding(tmp_path, changes, found):
    assert findings(tmp_path, **changes) == [
        f"statutory {column} A 2025 does not follow from the values shown" for column in found
    ]


def test_a_list_decided_by_a_withheld_value_is_a_finding(tmp_path):
    # Criterion 4 not met (60 %): 1 met and criterion 2 withheld. Udsat only if criterion
    # 2 is met, so a published 'udsat' says it is (the value would be at least 3).
    row = {"c4_income_ratio": 0.6, "c4_distance": -0.05, "c4_met": False, "criteria_met": 1}
    assert findings(tmp_path, **row) == [
        "statutory is_udsat A 2025 does not follow from the values shown",
        "statutory classification A 2025 does not follow from the values shown",
    ]
    assert findings(tmp_path, **row, is_udsat=None, classification="ukendt") == []


def test_a_value_beside_its_hidden_cell_is_a_finding(tmp_path):
    shown = {"c2_conviction_ratio": 1.0, "c2_met": False, "criteria_unknown": 0}
    beside = [
        "statutory c2_conviction_ratio A 2025 shows a hidden cell",
        "statutory withheld_values A 2025 names c2_conviction_ratio, shown",
    ]
    assert findings(tmp_path, **shown) == beside
    assert findings(tmp_path, c2_distance=-2.0) == beside
    # Unnamed as well: shown, and the hidden cell's criterion is not named.
    assert findings(tmp_path, **shown, withheld_values=None) == [
        beside[0],
        "statutory withheld_values A 2025 does not name c2_conviction_ratio",
    ]


def test_a_count_of_residents_under_5_is_a_finding(tmp_path):
    # 4 residents: under 1,000, so on no list, and the flags still follow.
    small = {"residents_1_january": 4, "has_min_residents": False, "is_udsat": False}
    small["non_western_share"] = None  # 20 % of 4 residents: one person, withheld
    assert findings(tmp_path, **small, classification="ingen") == [
        "statutory residents_1_january A 2025 is a small count"
    ]
    assert findings(tmp_path, **{**small, "residents_1_january": 5}, classification="ingen") == []


def test_flags_without_the_thresholds_to_check_them_are_a_finding(tmp_path):
    assert findings(tmp_path, thresholds=False) == ["statutory_thresholds is not published"]


def test_a_value_whose_cell_is_missing_is_a_finding(tmp_path):
    # One month behind criterion 1 not in the fact: the value cannot be published.
    june = ("emp_outside_work_edu", pd.Timestamp("2024-06-01"))
    assert findings(tmp_path, absent=[june]) == [
        "statutory c1_outside_work_edu A 2025 shows a hidden cell"
    ]


def test_a_withheld_criterion_is_named(tmp_path):
    # Unnamed, the null of criterion 2 would read as missing data or a zero denominator.
    assert findings(tmp_path, withheld_values=None) == [
        "statutory withheld_values A 2025 does not name c2_conviction_ratio"
    ]
    assert findings(tmp_path, withheld_values="not c2_conviction_ratio") == [
        "statutory withheld_values A 2025 does not name c2_conviction_ratio"
    ]
    # Named but shown, with every cell published: the name says something false.
    assert findings(tmp_path, withheld_values="c2_conviction_ratio, c3_basic_education") == [
        "statutory withheld_values A 2025 names c3_basic_education, shown"
    ]


@pytest.mark.parametrize(
    "hidden, columns",
    [
        # The share too: with the register's non-western count it gives the residents.
        ({"pop_residents"}, ["residents_1_january", "non_western_share"]),
        ({"pop_non_western"}, ["non_western_share"]),
    ],
)
def test_a_count_shown_beside_the_hidden_cell_holding_it_is_a_finding(tmp_path, hidden, columns):
    assert findings(tmp_path, hidden=hidden) == [
        f"statutory {column} A 2025 shows a hidden cell" for column in columns
    ]


def test_a_count_only_an_earlier_copy_hid_is_still_hidden(tmp_path):
    # The register's January residents are no longer in the fact, but the copy remembers
    # them hidden: the residents stay withheld.
    remembered = [("pop_residents", pd.Timestamp("2025-01-01"), True)]
    absent = [("pop_residents", pd.Timestamp("2025-01-01"))]
    assert findings(tmp_path, absent=absent, remembered=remembered) == [
        "statutory residents_1_january A 2025 shows a hidden cell",
        "statutory non_western_share A 2025 shows a hidden cell",
    ]


def test_a_share_of_too_few_people_is_a_finding(tmp_path):
    # 0.4 % of 1,200 residents: 5 people, shown; 0.3 %: 4, a small count.
    assert findings(tmp_path, non_western_share=5 / 1200) == []
    assert findings(tmp_path, non_western_share=4 / 1200) == [
        "statutory non_western_share A 2025 is a small count"
    ]


def test_a_hidden_income_cell_withholds_the_ratio_not_its_residents(tmp_path):
    # The cell protects the income; its denominator, the residents, may be shown.
    assert findings(tmp_path, hidden={"stat_income_ratio"}) == [
        "statutory c4_income_ratio A 2025 shows a hidden cell",
        "statutory withheld_values A 2025 does not name c4_income_ratio",
    ]
    withheld = {"c4_income_ratio": None, "c4_distance": None, "c4_met": None}
    assert (
        findings(
            tmp_path,
            hidden={"stat_income_ratio"},
            **withheld,
            criteria_met=1,
            criteria_unknown=2,
            forebyggelse_criteria_met=1,
            is_udsat=None,
            classification="ukendt",
            withheld_values="c2_conviction_ratio, c4_income_ratio",
        )
        == []
    )


def test_a_malformed_copy_is_reported_not_raised(tmp_path):
    assert findings(tmp_path, criteria_met=None) == [follows("criteria_met")]
    assert findings(tmp_path, criteria_met=2.5) == [follows("criteria_met")]
    assert findings(tmp_path, rows=[ROW, ROW]) == [
        "statutory_criteria has more than one row for A 2025"
    ]
    partial = THRESHOLDS[THRESHOLDS["rule"] != "min_criteria"]
    assert findings(tmp_path, thresholds=partial) == [
        "statutory_thresholds has no rule min_criteria"
    ]
    c1 = THRESHOLDS["rule"] == "c1_outside_work_edu"
    unset = THRESHOLDS.assign(udsat=THRESHOLDS["udsat"].where(~c1))
    assert findings(tmp_path, thresholds=unset) == [
        "statutory_thresholds has no rule c1_outside_work_edu"
    ]
    assert findings(tmp_path, c1_met="ja") == [
        "statutory_criteria column c1_met holds values that are not true or false"
    ]
    assert findings(tmp_path, criteria_met="x") == [
        "statutory_criteria column criteria_met holds values that are not numbers"
    ]
    assert findings(tmp_path, list_year="2025 og 2026") == [
        "statutory_criteria column list_year holds values that are not numbers"
    ]
    row = {k: v for k, v in ROW.items() if k != "c3_distance"}
    assert findings(tmp_path, rows=[row]) == ["statutory_criteria lacks column c3_distance"]


def test_omdannelse_needs_five_known_parallelsamfund_years():
    udsat = (0.45, 1.0, 0.50, 0.50)  # criteria 1 and 4 met
    rows = values(
        # No 2023 row: 3 known years before 2025, so open.
        *[("E", y, 2000, 0.60, *udsat) for y in (2021, 2022, 2024, 2025)],
        # 2023's share withheld: parallelsamfund unknown that year, so 2025 is open too.
        *[("H", y, 2000, NA if y == 2023 else 0.60, *udsat) for y in range(2021, 2026)],
    )
    got = outcome(rows, THRESHOLDS.set_index("rule"))
    last = (rows["list_year"] == 2025).to_numpy()
    assert got.loc[last, "is_parallelsamfund"].tolist() == [True, True]
    assert got.loc[last, "is_omdannelsesomraade"].isna().all()
    assert got.loc[last, "classification"].tolist() == ["ukendt", "ukendt"]
    assert got["is_parallelsamfund"].isna().tolist() == [False] * 6 + [True, False, False]


def test_forebyggelse_counts_against_its_own_minimum():
    # Criteria 1, 2 and 4 at the forebyggelse thresholds only (35 %, ratio 2.5, 60 %),
    # 35 % non-western: 3 forebyggelse criteria, none udsat.
    rows = values(("F", 2025, 1200, 0.35, 0.35, 2.5, 0.50, 0.60))
    rules = THRESHOLDS.set_index("rule")
    assert outcome(rows, rules).loc[0, "classification"] == "forebyggelsesområde"
    rules.loc["min_criteria", "forebyggelse"] = 4
    assert outcome(rows, rules).loc[0, "classification"] == "ingen"


def test_a_criterion_delivered_without_a_cell_is_named_and_unknown(tmp_path):
    # A regional mean of 0 makes no income cell: criterion 4 is withheld (named) and
    # unknown, as the model writes it; nothing to refuse.
    absent = [("stat_income_ratio", pd.Timestamp("2025-01-01"))]
    unknown = {"c4_income_ratio": None, "c4_distance": None, "c4_met": None}
    decided = {"criteria_met": 1, "criteria_unknown": 2, "forebyggelse_criteria_met": 1}
    row = {**unknown, **decided, "is_udsat": None, "classification": "ukendt"}
    named = "c2_conviction_ratio, c4_income_ratio"
    assert findings(tmp_path, absent=absent, **row, withheld_values=named) == []
    assert findings(tmp_path, absent=absent, **row) == []  # no cell hidden: a name is not owed


def test_a_share_without_the_residents_is_a_finding(tmp_path):
    assert findings(tmp_path, residents_1_january=None, has_min_residents=None) == [
        "statutory non_western_share A 2025 is shown without the residents",
        follows("is_udsat"),
        follows("classification"),
    ]


def test_a_flag_that_is_a_number_is_a_finding(tmp_path):
    assert findings(tmp_path, c3_met=7) == [
        "statutory_criteria column c3_met holds values that are not true or false"
    ]
