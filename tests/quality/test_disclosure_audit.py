"""The auditor on hand-made published tables: each attack class recovers a value from what
the former rules published, and fails on what the current rules publish. Intervals are
worked out by hand in the comments."""

from pathlib import Path

import highspy
import numpy as np
import pandas as pd
import pytest
from scipy import sparse

from quality import disclosure_audit
from quality.disclosure_audit import (
    BlockMemo,
    Exposure,
    _Block,
    _Intervals,
    _Model,
    _Swaps,
    audit,
    audit_stock_series,
)

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
RELATIONS = pd.read_csv(SEEDS / "disclosure_relations.csv")
FLOWS = pd.read_csv(SEEDS / "disclosure_stock_flows.csv")
CATALOGUE = pd.DataFrame(
    [
        ("x", "pct", None),
        ("hou_vacancy", "pct", None),
        # The housing windows are rolling in the real catalogue; here one month each,
        # so that only the shared components are under test.
        ("hou_turnover", "per_100", None),
        ("hou_evictions", "per_1000", None),
        ("e", "per_1000", "numerator"),
        ("u", "pct", "both"),
    ],
    columns=["indicator_id", "unit", "rolling_window"],
)
MARCH = pd.Timestamp("2025-03-01")


def whole_block(system) -> _Block:
    """The model's whole system as one block, as the auditor solves a connected block."""
    return _Block(
        system.a_eq, system.b_eq, system.a_ub, system.b_ub, system.upper, system.q,
        system.q_constant,
    )  # fmt: skip


def equalities_block(a_eq, b_eq, quantities) -> _Block:
    """A block of equality rows only, every variable in [0, 1e7]."""
    a_eq, quantities = sparse.csr_matrix(a_eq), sparse.csr_matrix(quantities)
    n = a_eq.shape[1]
    return _Block(
        a_eq, np.array(b_eq, float), sparse.csr_matrix((0, n)), np.zeros(0), np.full(n, 1e7),
        quantities, np.zeros(quantities.shape[0]),
    )  # fmt: skip


def cells(rows):
    """Rows of (area, period, indicator, numerator, denominator); None numerator = hidden."""
    frame = pd.DataFrame(
        rows, columns=["area_id", "period", "indicator_id", "numerator", "denominator"]
    )
    frame["period"] = pd.to_datetime(frame["period"])
    frame["suppressed"] = frame["numerator"].isna() & frame["denominator"].isna()
    return frame


def exposed(frame):
    report = audit(frame, CATALOGUE, RELATIONS, protection_level=5)
    assert not report.inconsistencies
    return {e.quantity: (e.low, e.high) for e in report.exposures}


# 1. Components shared between indicators.
def test_shared_dwellings_gave_a_hidden_vacancy_away():
    # Former rules: A's vacancy (3 of 100) hidden, but turnover publishes the 100
    # dwellings and evictions the 97 occupied ones: vacant = 100 - 97 = 3, exactly.
    former = cells(
        [
            ("A", MARCH, "hou_vacancy", None, None),
            ("A", MARCH, "hou_turnover", 10, 100),
            ("A", MARCH, "hou_evictions", 6, 97),
        ]
    )
    assert exposed(former) == {
        "hou_vacancy A 2025-03 numerator": (3, 3),
        "hou_vacancy A 2025-03 complement": (97, 97),
    }


def test_hiding_the_linked_cell_protects_it():
    # Current rules: the evictions cell goes with it; vacant is anywhere in 0-100.
    current = cells(
        [
            ("A", MARCH, "hou_vacancy", None, None),
            ("A", MARCH, "hou_turnover", 10, 100),
            ("A", MARCH, "hou_evictions", None, None),
        ]
    )
    assert exposed(current) == {}


# 2. Totals with two or more hidden cells.
def test_two_small_hidden_cells_under_a_total_were_pinned():
    # Former rules: A (1 of 40) and B (2 of 50) both primary, so no secondary; the
    # published total 23 of 190 minus C's 20 of 100 leaves A + B = 3: each in [0, 3].
    # Their published denominators (a small numerator kept it) pin the complements:
    # A's 40 - n in [37, 40], B's in [47, 50].
    former = cells(
        [
            ("A", MARCH, "x", None, 40),
            ("B", MARCH, "x", None, 50),
            ("C", MARCH, "x", 20, 100),
            ("municipality", MARCH, "x", 23, 190),
        ]
    )
    former.loc[former["numerator"].isna(), "suppressed"] = True
    assert exposed(former) == {
        "x A 2025-03 numerator": (0, 3),
        "x B 2025-03 numerator": (0, 3),
        "x A 2025-03 complement": (37, 40),
        "x B 2025-03 complement": (47, 50),
    }


def test_hidden_cells_holding_the_protection_level_are_safe():
    # Current rules: A + B hold 3 < 5, so C is hidden too: each numerator in [0, 23], and
    # the complements share 167 (each in [0, 167] within its own denominator).
    current = cells(
        [
            ("A", MARCH, "x", None, None),
            ("B", MARCH, "x", None, None),
            ("C", MARCH, "x", None, None),
            ("municipality", MARCH, "x", 23, 190),
        ]
    )
    assert exposed(current) == {}


# 3. Time: overlapping rolling windows.
def rolling(windows, area="A", indicator="e", denominator=100):
    return [(area, period, indicator, count, denominator) for period, count in windows]


def test_overlapping_windows_pinned_a_single_month():
    # Former rules: December 2024's window is 0 (no event in 2024), January 2025's 5 and
    # February's 7: January 2025 had exactly 5 events and February exactly 2.
    former = cells(rolling([("2024-12-01", 0), ("2025-01-01", 5), ("2025-02-01", 7)]))
    assert exposed(former) == {
        "e A 2025-01 monthly count": (5, 5),
        "e A 2025-02 monthly count": (2, 2),
    }


def test_a_sparse_series_publishing_december_only_is_safe():
    # Current rules: the series' slack is 0, so only December's window is published;
    # January and February 2025 are unbounded.
    current = cells(rolling([("2024-12-01", 0), ("2025-01-01", None), ("2025-02-01", None)]))
    assert exposed(current) == {}


def test_summed_denominators_are_protected_like_counts():
    # u = accepted / offered over 12 months. Former rules: offered 0 in 2024, 6 by January
    # 2025 (6 offered, 6 accepted: complement 0), 9 by February with 7 accepted: 3
    # offered and 1 accepted in February alone, 2 declined.
    former = cells(
        [
            ("A", "2024-12-01", "u", 0, 0),
            ("A", "2025-01-01", "u", 6, 6),
            ("A", "2025-02-01", "u", 7, 9),
        ]
    )
    found = exposed(former)
    assert found["u A 2025-02 monthly count"] == (1, 1)
    assert found["u A 2025-02 monthly denominator count"] == (3, 3)
    assert found["u A 2025-02 monthly complement"] == (2, 2)


# 4. Chains: a value recovered by one relation feeds another.
def test_a_recovered_cell_fed_a_total():
    # Former rules: A's vacancy comes from its dwellings (100 - 97 = 3); the total 8
    # then gives B's hidden vacancy too: 8 - 3 = 5 (and 195 - 5 = 190 occupied).
    former = cells(
        [
            ("A", MARCH, "hou_vacancy", None, None),
            ("A", MARCH, "hou_turnover", 10, 100),
            ("A", MARCH, "hou_evictions", 6, 97),
            ("B", MARCH, "hou_vacancy", None, None),
            ("B", MARCH, "hou_turnover", 20, 200),
            ("B", MARCH, "hou_evictions", 8, 195),
            ("municipality", MARCH, "hou_vacancy", 8, 300),
            ("municipality", MARCH, "hou_turnover", 30, 300),
            ("municipality", MARCH, "hou_evictions", 14, 292),
        ]
    )
    found = exposed(former)
    assert found["hou_vacancy A 2025-03 numerator"] == (3, 3)
    assert found["hou_vacancy B 2025-03 numerator"] == (5, 5)


def test_the_chain_is_broken_by_the_linked_cells():
    # Current rules: both evictions cells are hidden (links), so A + B = 8 with each in
    # [0, 8], and the occupied dwellings are no longer published.
    current = cells(
        [
            ("A", MARCH, "hou_vacancy", None, None),
            ("A", MARCH, "hou_turnover", 10, 100),
            ("A", MARCH, "hou_evictions", None, None),
            ("B", MARCH, "hou_vacancy", None, None),
            ("B", MARCH, "hou_turnover", 20, 200),
            ("B", MARCH, "hou_evictions", None, None),
            ("municipality", MARCH, "hou_vacancy", 8, 300),
            ("municipality", MARCH, "hou_turnover", 30, 300),
            ("municipality", MARCH, "hou_evictions", 14, 292),
        ]
    )
    assert exposed(current) == {}


def _absent_february(last_period):
    """u = completed / ended over 12 months. A publishes 7 of 14 by January 2025 and has no
    cell in February: a window over summed denominators is published only above zero. B
    publishes 10 of 20 both months; the municipality the sums."""
    frame = cells(
        [
            ("A", "2025-01-01", "u", 7, 14),
            ("B", "2025-01-01", "u", 10, 20),
            ("B", "2025-02-01", "u", 10, 20),
            ("municipality", "2025-01-01", "u", 17, 34),
            ("municipality", "2025-02-01", "u", 10, 20),
        ]
    )
    areas = pd.DataFrame(
        {
            "area_id": ["A", "B", "municipality"],
            "first_period": pd.to_datetime(["2023-01-01"] * 3),
            "last_period": pd.to_datetime([last_period, "2025-12-01", "2025-12-01"]),
        }
    )
    report = audit(frame, CATALOGUE, RELATIONS, protection_level=5, areas=areas)
    assert not report.inconsistencies
    return {e.quantity: (e.low, e.high) for e in report.exposures}


def test_a_window_without_its_cell_is_read_as_zeros():
    # A through all of March 2024 - February 2025 without a February cell: those 12
    # months are 0 at A, so January's window is A's February 2024 alone: 7 completed of
    # 14 ended, 7 not. (Without the gap read, each of A's months lies in [0, 7], [0, 14]
    # and [0, 7].)
    assert _absent_february("2025-12-01") == {
        "u A 2024-02 monthly count": (7, 7),
        "u A 2024-02 monthly denominator count": (14, 14),
        "u A 2024-02 monthly complement": (7, 7),
    }


def test_a_window_past_the_areas_last_month_is_not_read():
    # A ends in January 2025: no February window could be computed for it, so the gap
    # says nothing, and A's months stay in [0, 7] (ended in [0, 14], not completed in
    # [0, 7]).
    assert _absent_february("2025-01-01") == {}


def test_a_known_zero_is_not_a_disclosure():
    # A hidden cell that must be 0 (the total is 0) tells nobody anything about a person.
    frame = cells(
        [
            ("A", MARCH, "e", None, None),
            ("B", MARCH, "e", None, None),
            ("municipality", MARCH, "e", 0, 300),
        ]
    )
    catalogue = CATALOGUE.assign(rolling_window=None)
    report = audit(frame, catalogue, RELATIONS, protection_level=5)
    assert report.passed


def test_a_relation_that_does_not_hold_is_reported():
    frame = cells(
        [
            ("A", MARCH, "hou_vacancy", 5, 100),
            ("A", MARCH, "hou_turnover", 10, 120),
        ]
    )
    report = audit(frame, CATALOGUE, RELATIONS, protection_level=5)
    assert report.inconsistencies == [
        "relation dwellings in A 2025-03 does not hold on the published cells"
    ]


@pytest.mark.parametrize("level", [3, 4])
def test_the_protection_level_is_a_parameter(level):
    # A + B = 3 (as above, denominators hidden): each in [0, 3], enough below level 4 only.
    frame = cells(
        [
            ("A", MARCH, "x", None, None),
            ("B", MARCH, "x", None, None),
            ("C", MARCH, "x", 20, 100),
            ("municipality", MARCH, "x", 23, 190),
        ]
    )
    report = audit(frame, CATALOGUE, RELATIONS, protection_level=level)
    assert report.passed == (level <= 3)


# 5. Stock and flows: the vacant dwellings on the 1st of the next month are this month's
# plus its move-outs less its lettings (seed disclosure_stock_flows).
HOUSING = pd.DataFrame(
    [
        ("hou_vacancy", "pct", None),
        ("hou_turnover", "per_100", "numerator"),
        ("hou_municipal_allocation", "pct", "both"),
    ],
    columns=["indicator_id", "unit", "rolling_window"],
)
MONTHS = pd.date_range("2024-02-01", "2025-02-01", freq="MS")


def _vacancy_cells(hidden_months):
    """A's vacancy February 2024 - February 2025, 0 of 100 dwellings but 3 in February
    2025, the given months hidden; the windows of January 2025 publish 38 move-outs and
    35 lettings (20 of them municipal) in February 2024 - January 2025."""
    rows = [
        ("A", month, "hou_vacancy", *((None, None) if month in hidden_months else (vacant, 100)))
        for month, vacant in zip(MONTHS, [0] * 12 + [3], strict=True)
    ]
    january = MONTHS[-2]
    rows += [
        ("A", january, "hou_turnover", 38, 100),
        ("A", january, "hou_municipal_allocation", 20, 35),
    ]
    return cells(rows)


def test_move_outs_and_lettings_gave_a_hidden_vacancy_away():
    # Former rules: only February 2025 (3 vacant) hidden. Every earlier month is 0, so each
    # month's move-outs equal its lettings but January's, which exceed them by February's
    # vacancy: 38 - 35 = 3, exactly.
    report = audit(_vacancy_cells(MONTHS[-1:]), HOUSING, RELATIONS, 5, flows=FLOWS)
    assert not report.inconsistencies
    exposed = {e.quantity: (e.low, e.high) for e in report.exposures}
    assert exposed == {"hou_vacancy A 2025-02 numerator": (3, 3)}


def test_a_hidden_vacancy_series_is_safe():
    # Current rules: the whole series hidden (its rows audited area by area). February
    # 2025 is still 3 more than February 2024, but that can be anything from 3 to 100.
    frame = _vacancy_cells(MONTHS)
    assert audit(frame, HOUSING, RELATIONS, protection_level=5, flows=FLOWS).passed
    report = audit_stock_series(frame, HOUSING, RELATIONS, 5, None, FLOWS)
    assert report.hidden_quantities and report.passed


def test_a_new_block_let_within_the_year_pinned_its_hidden_vacancy():
    # 20 new dwellings, all vacant on 1 February 2025 and all let by January 2026, none
    # left: the windows of February 2025 - January 2026 publish the 20 dwellings, no
    # move-outs, and January's 20 lettings. Vacancy is hidden in every month, yet February
    # 2025's is at least 20 more than February 2026's, and at most the 20 dwellings: 20.
    months = pd.date_range("2025-02-01", "2026-02-01", freq="MS")
    rows = [("A", m, "hou_vacancy", None, None) for m in months]
    rows += [("A", m, "hou_turnover", 0, 20) for m in months[:-1]]
    rows += [("A", months[-2], "hou_municipal_allocation", 8, 20)]
    report = audit_stock_series(cells(rows), HOUSING, RELATIONS, 5, None, FLOWS)
    assert {e.quantity: (e.low, e.high) for e in report.exposures} == {
        "hou_vacancy A 2025-02 numerator": (20, 20)
    }


# Certificates by swaps: a second feasible point built without a solve, checked against
# every relation before it counts.
def swapped(frame, level=5, objectives=None):
    """Each quantity's (low, high) from the solver's first point (or one point per
    objective) and its swaps alone."""
    model = _Model(frame, CATALOGUE)
    model.add_totals()
    model.add_shared_components(RELATIONS)
    model.add_rolling_windows()
    model.add_quantities()
    model.add_moves()
    system = model.system()
    block = whole_block(system)
    rows = np.arange(len(system.labels))
    intervals = _Intervals(system.q, system.q_constant, np.zeros(len(rows), bool), level)
    starts = (
        objectives(system.places, system.months) if objectives else [np.zeros(len(system.upper))]
    )
    for objective in starts:
        point = block.solve(objective)
        intervals.harvest(rows, system.q, point)
        _Swaps(system.units, system.a_eq).certify(block, point, rows, intervals)
    return {
        label: (low, high) for label, low, high in zip(system.labels, intervals.low, intervals.high)
    }


def test_a_swap_between_hidden_areas_settles_them():
    # A, B, C hidden under a published total of 23: each numerator is in [0, 23]. A swap
    # of 5 between two of them keeps the total, so each is seen 5 apart.
    found = swapped(
        cells(
            [
                ("A", MARCH, "x", None, None),
                ("B", MARCH, "x", None, None),
                ("C", MARCH, "x", None, None),
                ("municipality", MARCH, "x", 23, 190),
            ]
        )
    )
    for area in "ABC":
        low, high = found[f"x {area} 2025-03 numerator"]
        assert 0 <= low and high <= 23 and high - low >= 5


def test_a_swap_under_a_small_total_proves_nothing():
    # A + B = 3: no swap of 5 keeps both non-negative, so none counts (each in [0, 3]).
    found = swapped(
        cells(
            [
                ("A", MARCH, "x", None, None),
                ("B", MARCH, "x", None, None),
                ("C", MARCH, "x", 20, 100),
                ("municipality", MARCH, "x", 23, 190),
            ]
        )
    )
    for area in "AB":
        low, high = found[f"x {area} 2025-03 numerator"]
        assert 0 <= low and high <= 3


def test_points_holding_everything_in_one_area_let_swaps_settle_a_rare_outcome():
    # A, B, C hidden under a total of 6 of 190. The first point holds all it can in A
    # (A: 6 of 190, B and C: 0 of 0); moving 5 counts with their denominators from A to B
    # keeps every row (A 1 of 185, B 5 of 5), as does moving 5 denominators alone (B's
    # complement 5, A's 179): B's and C's numerators and complements are each seen at 0
    # and 5. The second point holds all in B (A: 0 of 0, B: 6 of 190): A's and B's
    # numerators are seen at 0 and 6. Spread evenly (2 of 63 each), no area has 5 to give.
    found = swapped(
        cells(
            [
                ("A", MARCH, "x", None, None),
                ("B", MARCH, "x", None, None),
                ("C", MARCH, "x", None, None),
                ("municipality", MARCH, "x", 6, 190),
            ]
        ),
        objectives=lambda places, months: disclosure_audit._starts(
            places, months, calendar_months=()
        ),
    )
    assert found["x A 2025-03 numerator"] == (0, 6)
    assert found["x B 2025-03 numerator"] == (0, 6)
    assert found["x C 2025-03 numerator"] == (0, 5)
    for area in "ABC":
        low, high = found[f"x {area} 2025-03 complement"]
        assert 0 <= low and high <= 184 and high - low >= 5


def test_points_holding_everything_in_one_calendar_month_let_swaps_settle_months():
    # Only December 2024's window is published (12): the months of 2024 share 12. The
    # point for January holds all 12 there, and moving 5 from January to another month
    # keeps the window: every other month is seen at 0 and 5. The points for March, May,
    # July, September and November each hold all 12 in theirs: those six months are each
    # seen at 0 and 12.
    found = swapped(
        cells(rolling([("2024-12-01", 12)])),
        objectives=lambda places, months: disclosure_audit._starts(places, months, areas=0),
    )
    for month in range(1, 13):
        expected = (0, 12) if month % 2 else (0, 5)
        assert found[f"e A 2024-{month:02d} monthly count"] == expected


def test_months_a_year_apart_swap_under_published_windows():
    # Only December 2024's window is published (10): the 12 months of 2024 share 10, so
    # each is in [0, 10]. Moving 5 from one month to another keeps the window.
    found = swapped(cells(rolling([("2024-12-01", 10)])))
    for month in range(1, 13):
        low, high = found[f"e A 2024-{month:02d} monthly count"]
        assert 0 <= low and high <= 10 and high - low >= 5


def test_a_swap_across_areas_that_breaks_a_published_window_is_refused():
    # A's and B's windows for January and February 2025 are published (5 and 7, then 4
    # and 9): each area's February is its own difference (2 and 5) plus its February
    # 2024. A same-month swap between the areas would change a published window; the
    # only moves left are within an area, a year apart.
    frame = cells(
        [
            *rolling([("2025-01-01", 5), ("2025-02-01", 7)]),
            *rolling([("2025-01-01", 4), ("2025-02-01", 9)], area="B"),
        ]
    )
    model = _Model(frame, CATALOGUE)
    model.add_rolling_windows()
    model.add_quantities()
    model.add_moves()
    system = model.system()
    block = whole_block(system)
    point = block.solve(np.zeros(len(system.upper)))
    february = [
        i for i, label in enumerate(system.labels) if label.endswith("2025-02 monthly count")
    ]
    (a, b) = (np.flatnonzero(system.q[i].toarray().ravel())[0] for i in february)
    across = np.zeros((len(system.upper), 1))
    across[a], across[b] = 5, -5
    assert not _Swaps._feasible(block, point, block.matrix @ point, sparse.csc_matrix(across))[0]


def test_the_feasibility_check_of_a_swap():
    # x + y = 10 and x <= 8, from (8, 2). Moving 2 from x to y keeps both rows; moving 2
    # from y to x breaks x <= 8; adding 2 to x alone breaks the equality; moving 8 from
    # x to y is fine; moving 9 makes y 11 but x negative.
    block = _Block(
        sparse.csr_matrix([[1.0, 1.0]]),
        np.array([10.0]),
        sparse.csr_matrix([[1.0, 0.0]]),
        np.array([8.0]),
        np.full(2, 1e7),
        sparse.csr_matrix((0, 2)),
        np.zeros(0),
    )
    point = np.array([8.0, 2.0])
    changes = sparse.csc_matrix(
        np.array([[-2, 2], [2, -2], [2, 0], [-8, 8], [-9, 9]], dtype=float).T
    )
    assert _Swaps._feasible(block, point, block.matrix @ point, changes).tolist() == [
        True,
        False,
        False,
        True,
        False,
    ]


def test_quantities_proven_zero_together():
    # a + b = 3 and a + b + c = 3, so c = 0 everywhere, though no row is a zero sum. Seen
    # at (3, 0, 0), b and c have only been zero: the largest b + c is 3 (b raised, so b
    # leaves the set), then the largest c is 0: c is a known zero, b still open.
    block = equalities_block([[1.0, 1.0, 0.0], [1.0, 1.0, 1.0]], [3, 3], sparse.identity(3))
    rows = np.arange(3)
    intervals = _Intervals(block.quantities, np.zeros(3), np.zeros(3, bool), 5)
    intervals.harvest(rows, block.quantities, np.array([3.0, 0.0, 0.0]))
    intervals.settle_by_sums(block, rows, least=1)
    assert intervals.fixed.tolist() == [False, False, True]
    assert intervals.high[1] == 3
    assert intervals.open(rows).tolist() == [True, True, False]


def test_a_complement_is_not_proven_zero_by_a_sum():
    # A complement (d - n) has a negative coefficient: a sum of zero would not make each
    # term zero, so it is left to its own solves.
    block = equalities_block([[1.0, 1.0]], [0], sparse.csr_matrix([[-1.0, 1.0]]))
    intervals = _Intervals(block.quantities, np.zeros(1), np.zeros(1, bool), 5)
    intervals.harvest(np.arange(1), block.quantities, np.zeros(2))
    intervals.settle_by_sums(block, np.arange(1), least=1)
    assert intervals.fixed.tolist() == [False]


def test_an_exact_solves_point_lets_swaps_settle_other_quantities():
    # a + b + c = 10, first seen at (0, 0, 10): all three open. a's own maximum is
    # (10, 0, 0), so a and c are each seen at 0 and 10; from there moving 5 from a to b
    # keeps the row, so b is seen at 0 and 5 without a solve of its own. Without the
    # swaps b needs its own maximum: one solve more.
    def settled(swaps):
        block = equalities_block([[1.0, 1.0, 1.0]], [10], sparse.identity(3))
        rows = np.arange(3)
        intervals = _Intervals(block.quantities, np.zeros(3), np.zeros(3, bool), 5)
        intervals.harvest(rows, block.quantities, np.array([0.0, 0.0, 10.0]))
        moves = _Swaps(sparse.identity(3, format="csc"), block.matrix.tocsr()) if swaps else None
        intervals.settle_exactly(block, rows, moves)
        assert not intervals.open(rows).any()
        return intervals.solves, intervals.low.tolist(), intervals.high.tolist()

    assert settled(swaps=True) == (2, [0, 0, 0], [10, 5, 10])
    assert settled(swaps=False) == (3, [0, 0, 0], [10, 10, 10])


def test_complements_kept_non_negative_are_proven_zero_together():
    # Two months of a share: counts n1 + n2 = 6 and denominators d1 + d2 = 6 published
    # as windows, each n <= d, so n1 = d1 and n2 = d2: both complements (d - n) are 0 at
    # every point. Seen at (3, 3, 3, 3), the largest sum of the complements is 0, so each
    # is a known zero. Declared never negative only by their rows n <= d: without that,
    # a sum of zero would prove nothing and they stay open.
    n1, n2, d1, d2 = np.eye(4)
    complements = sparse.csr_matrix(np.array([d1 - n1, d2 - n2]))

    def proven(never_negative):
        block = _Block(
            sparse.csr_matrix(np.array([n1 + n2, d1 + d2])),
            np.array([6.0, 6.0]),
            sparse.csr_matrix(np.array([n1 - d1, n2 - d2])),
            np.zeros(2),
            np.full(4, 1e7),
            complements,
            np.zeros(2),
        )
        rows = np.arange(2)
        intervals = _Intervals(complements, np.zeros(2), np.zeros(2, bool), 5, never_negative)
        intervals.harvest(rows, complements, np.full(4, 3.0))
        intervals.settle_by_sums(block, rows, least=1)
        return intervals.fixed.tolist()

    assert proven(np.array([True, True])) == [True, True]
    assert proven(None) == [False, False]


def test_the_model_marks_complements_never_negative():
    # A hidden share cell's complement (40 - n, n hidden) and a share window's monthly
    # complements (d - n) each have a row keeping them >= 0, so each is never negative,
    # though each has a negative coefficient; numerators and counts are never negative.
    frame = cells(
        [("A", MARCH, "x", None, 40), *rolling([("2025-01-01", 3)], indicator="u", denominator=30)]
    )
    frame.loc[frame["numerator"].isna(), "suppressed"] = True
    model = _Model(frame, CATALOGUE)
    model.add_rolling_windows()
    model.add_quantities()
    model.add_moves()
    system = model.system()
    complements = [i for i, label in enumerate(system.labels) if label.endswith("complement")]
    assert len(complements) == 13  # the cell's, and 12 months of the window
    assert (system.q[complements].min(axis=1).toarray() < 0).all()
    assert system.never_negative.all()


def test_one_solve_of_random_weights_settles_two_quantities_against_each_other():
    # a + b = 10, seen at (5, 5): both open. Whatever the random weights and signs, the
    # optimum is a corner, (10, 0) or (0, 10): each quantity seen at 5 and at 0 or 10, so
    # one solve settles both.
    block = equalities_block([[1.0, 1.0]], [10], sparse.identity(2))
    rows = np.arange(2)
    intervals = _Intervals(block.quantities, np.zeros(2), np.zeros(2, bool), 5)
    intervals.harvest(rows, block.quantities, np.array([5.0, 5.0]))
    intervals.settle_by_sums(block, rows, least=1)
    assert intervals.solves == 2  # the harvest above and one solve
    assert not intervals.open(rows).any()
    assert sorted([intervals.low[0], intervals.high[0]]) in ([0, 5], [5, 10])


def failing_first(monkeypatch, failures):
    """Make the first `failures` attempts of any solve end with status Unknown."""
    calls = []
    run = disclosure_audit._run

    def flaky(highs):
        calls.append(highs.getOptionValue("presolve")[1])
        status = run(highs)
        return highspy.HighsModelStatus.kUnknown if len(calls) <= failures else status

    monkeypatch.setattr(disclosure_audit, "_run", flaky)
    return calls


def test_a_failed_solve_is_retried_with_other_options(monkeypatch):
    # Maximise a subject to a + b = 10: (10, 0). The first attempt and the first retry
    # (simplex, presolve off) are made to fail; the second retry (presolve on) solves it,
    # and the instance keeps presolve off for its warm-started re-solves.
    calls = failing_first(monkeypatch, failures=2)
    block = equalities_block([[1.0, 1.0]], [10], sparse.identity(2))
    assert block.solve(np.array([-1.0, 0.0])).tolist() == [10, 0]
    assert calls == ["off", "off", "on"]
    assert block.highs.getOptionValue("presolve")[1] == "off"
    # Minimising a then needs one attempt: (0, 10).
    assert block.solve(np.array([1.0, 0.0])).tolist() == [0, 10]
    assert len(calls) == 4


def test_a_bin_that_no_retry_solves_fails_closed(monkeypatch):
    # Three hidden cells under a published total, safe when solved (each numerator in
    # [0, 23]), but every attempt fails: the audit does not pass, names the bin and its
    # unproven quantities, and reports no exposure it has not solved.
    calls = failing_first(monkeypatch, failures=10**6)
    frame = cells([(area, MARCH, "x", None, None) for area in "ABC"]
                  + [("municipality", MARCH, "x", 23, 190)])  # fmt: skip
    report = audit(frame, CATALOGUE, RELATIONS, protection_level=5)
    assert not report.passed and not report.exposures
    assert len(calls) == 1 + len(disclosure_audit.RETRIES)
    [unproven] = report.unproven
    assert unproven.startswith("block of x (")
    assert "linear program not solved (Unknown) after 4 retries; 6 hidden quantities" in unproven
    assert report.findings == [unproven]


def test_after_a_zero_proof_the_others_still_get_random_weights():
    # Quantities a and c, seen at (5, 0): c only at zero. A stand-in block answers the
    # largest c with (5, 0): c is a known zero, a not settled. The same call goes on to
    # random weights; their answer (0, 0) shows a at 0 and 5: settled, after 2 solves.
    class Answers:
        quantities, constants = sparse.identity(2, format="csr"), np.zeros(2)
        points = iter([np.array([5.0, 0.0]), np.array([0.0, 0.0])])

        def solve(self, objective):
            return next(self.points)

    block, rows = Answers(), np.arange(2)
    intervals = _Intervals(block.quantities, np.zeros(2), np.zeros(2, bool), 5)
    intervals.harvest(rows, block.quantities, np.array([5.0, 0.0]))
    intervals.settle_by_sums(block, rows, least=1)
    assert intervals.fixed.tolist() == [False, True]
    assert not intervals.open(rows).any()
    assert intervals.solves == 3


def test_a_zero_proof_that_raises_nothing_past_the_tolerance_stops():
    # Two quantities seen only at zero; the stand-in's largest sum is 1.8e-6 (above the
    # tolerance), each 0.9e-6 (within it): not proven zero, none raised. Repeating the
    # solve would answer the same forever: the call returns, both left to exact solves.
    class Answers:
        quantities, constants = sparse.identity(2, format="csr"), np.zeros(2)

        def solve(self, objective):
            return np.full(2, 0.9e-6)

    block, rows = Answers(), np.arange(2)
    intervals = _Intervals(block.quantities, np.zeros(2), np.zeros(2, bool), 5)
    intervals.harvest(rows, block.quantities, np.zeros(2))
    intervals.settle_by_sums(block, rows, least=1)
    assert intervals.fixed.tolist() == [False, False]
    assert intervals.open(rows).all() and intervals.solves == 2


def test_bins_solved_in_two_processes_give_what_one_gives(monkeypatch):
    # Two independent blocks, each a bin of its own: the pair under a total (A + B = 3,
    # as above) and the overlapping windows of area D (January 5, February 2, as above).
    # Each bin has its own seed, so two processes find what one does, down to the number
    # of solves.
    monkeypatch.setattr(disclosure_audit, "BIN_VARIABLES", 1)
    mapped = disclosure_audit._map_bins
    bins = []

    def counted(jobs, workers, pool):
        jobs = list(jobs)
        bins.append(len(jobs))
        return mapped(jobs, workers, pool)

    monkeypatch.setattr(disclosure_audit, "_map_bins", counted)
    frame = cells(
        [
            ("A", MARCH, "x", None, 40),
            ("B", MARCH, "x", None, 50),
            ("C", MARCH, "x", 20, 100),
            ("municipality", MARCH, "x", 23, 190),
            *rolling([("2024-12-01", 0), ("2025-01-01", 5), ("2025-02-01", 7)], area="D"),
        ]
    )
    frame.loc[frame["numerator"].isna(), "suppressed"] = True
    model = _Model(frame, CATALOGUE)
    model.add_totals()
    model.add_rolling_windows()
    model.add_quantities()
    model.add_moves()
    system = model.system()
    serial = disclosure_audit.solve_intervals(system, 5, workers=1)
    assert serial == disclosure_audit.solve_intervals(system, 5, workers=2)
    assert bins == [2, 2]
    assert {e.quantity: (e.low, e.high) for e in serial[0]} == {
        "x A 2025-03 numerator": (0, 3),
        "x B 2025-03 numerator": (0, 3),
        "x A 2025-03 complement": (37, 40),
        "x B 2025-03 complement": (47, 50),
        "e D 2025-01 monthly count": (5, 5),
        "e D 2025-02 monthly count": (2, 2),
    }


def test_blocks_are_variables_connected_by_rows_numbered_by_their_first_variable():
    # Row 0 joins variables 2 and 3, row 1 holds variable 0 alone, variable 1 is in none:
    # blocks {0}, {1}, {2, 3}, numbered in that order.
    rows = sparse.csr_matrix([[0, 0, 1, -1], [2, 0, 0, 0]])
    assert disclosure_audit._connected_blocks(rows).tolist() == [0, 1, 2, 2]


# The last audit's intervals per block (`BlockMemo`).
def restated_april(c_count):
    """March: A, B, C hidden under 23 of 190 (safe). April: A and B hidden beside C's
    `c_count` of 100 under 20 of 190, so A + B = 20 - c_count (each in [0, that])."""
    frame = cells(
        [
            ("A", MARCH, "x", None, None),
            ("B", MARCH, "x", None, None),
            ("C", MARCH, "x", None, None),
            ("municipality", MARCH, "x", 23, 190),
            ("A", "2025-04-01", "x", None, 40),
            ("B", "2025-04-01", "x", None, 50),
            ("C", "2025-04-01", "x", c_count, 100),
            ("municipality", "2025-04-01", "x", 20, 190),
        ]
    )
    frame.loc[frame["numerator"].isna(), "suppressed"] = True
    return frame


def audited(frame, path, level=5):
    memo = BlockMemo(path)
    report = audit(frame, CATALOGUE, RELATIONS, protection_level=level, memo=memo)
    memo.save()
    return report, memo


def test_an_unchanged_block_is_read_from_the_memo_and_a_changed_one_solved(tmp_path):
    path = tmp_path / "audit.npz"
    first, memo = audited(restated_april(10), path)  # A + B = 10: safe
    assert (first.exposures, memo.reused, len(memo.kept)) == ([], 0, 2)
    again, memo = audited(restated_april(10), path)
    assert (again.exposures, memo.reused, again.exactly_solved) == ([], 2, 0)

    # A restatement of C in April (17 of 100) leaves A + B = 3: April is solved again,
    # and found, though the memo held April's old block as safe.
    restated, memo = audited(restated_april(17), path)
    assert memo.reused == 1 and restated.exactly_solved > 0
    assert {e.quantity: (e.low, e.high) for e in restated.exposures} == {
        "x A 2025-04 numerator": (0, 3),
        "x B 2025-04 numerator": (0, 3),
        "x A 2025-04 complement": (37, 40),
        "x B 2025-04 complement": (47, 50),
    }
    assert restated.exposures == audit(restated_april(17), CATALOGUE, RELATIONS, 5).exposures
    # The memo keeps the last audit's blocks only: March and the restated April.
    assert len(BlockMemo(path).stored) == 2
    assert audited(restated_april(10), path)[1].reused == 1


def test_another_protection_level_is_not_read_from_the_memo(tmp_path):
    path = tmp_path / "audit.npz"
    assert audited(restated_april(10), path)[0].exposures == []
    stricter, memo = audited(restated_april(10), path, level=12)  # A + B = 10 < 12
    assert memo.reused == 0
    assert {e.quantity for e in stricter.exposures} >= {"x A 2025-04 numerator"}


def test_an_unreadable_memo_is_solved_around_and_replaced(tmp_path):
    path = tmp_path / "audit.npz"
    audited(restated_april(10), path)
    whole = path.read_bytes()
    for damaged in (b"not an archive", b"", whole[: len(whole) // 2]):
        path.write_bytes(damaged)
        report, memo = audited(restated_april(10), path)
        assert (report.exposures, memo.reused, len(memo.stored)) == ([], 0, 0)
        assert audited(restated_april(10), path)[1].reused == 2


def test_a_finding_names_the_quantity_not_its_bounds():
    # A's numerator pinned to [4, 4]: the bounds are the hidden count. A finding goes to
    # Dagster's metadata and the data team's mail (before the twenty-third session with them).
    pinned = Exposure("x A 2025-12 numerator", 4.0, 4.0)
    assert str(pinned) == "x A 2025-12 numerator known to within 0"
    assert str(Exposure("x A 2025-12 complement", 41.0, 43.5)) == (
        "x A 2025-12 complement known to within 2.5"
    )
