"""The disclosure auditor: what an attacker holding only the published copy can work out.

The published fact is one system of linear relations: the areas (with `outside`) add up to
the municipality; indicators share components in the same area and month (seed
`disclosure_relations`: dwellings, occupied dwellings, residents by age band); rolling
12-month windows are sums of monthly counts that overlap month by month. For every hidden
quantity (a hidden cell's numerator and, for proportions, its complement; every monthly
count behind a rolling window, and for windows over summed denominators those counts'
denominators and complements) the auditor computes the smallest and largest value
consistent with everything published, by linear programming (HiGHS), and reports
the quantities whose interval is narrower than the protection level (seed
`disclosure_rules`), unless the interval is exactly zero (a known zero is not a
disclosure). This is the audit step of secondary cell suppression (tau-Argus; de Wolf,
"Statistical Disclosure Control", Wiley 2012, ch. 4).

Speed: each connected block of the system is solved apart, and a few solves per block
(everything pushed down; then all open quantities raised at once, each capped at its
lowest value plus the protection level) exhibit, for most quantities, two feasible points
at least the protection level apart; only the rest get an exact minimum and maximum.
Windows of distinct people (`people`) are not sums of monthly counts and enter through the
totals only.

Also checked: the Kvarterprofil and the statutory criteria show nothing behind a hidden
fact cell.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import duckdb
import highspy
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

# Larger than any published count: an interval reaching it is unbounded in practice.
UNBOUNDED = 1e7
TOLERANCE = 1e-6
# Small blocks are solved together up to this many variables: a solve has a fixed cost.
BIN_VARIABLES = 2000
# A pair of rounds moving every open quantity at once costs about as much as this many
# quantities' own solves: repeated while it settles more.
WORTH_A_ROUND = 20
INF = highspy.kHighsInf


@dataclass(frozen=True)
class Exposure:
    """A hidden quantity pinned to a narrower interval than the protection level."""

    quantity: str
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.quantity} in [{self.low:g}, {self.high:g}]"


@dataclass
class AuditReport:
    protection_level: float
    hidden_quantities: int = 0
    exactly_solved: int = 0
    exposures: list[Exposure] = field(default_factory=list)
    inconsistencies: list[str] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return not self.exposures and not self.inconsistencies


@dataclass
class _LinearSystem:
    """Variables, equalities (sum = rhs), inequalities (sum <= rhs) and the named
    quantities to protect (sum + constant)."""

    names: list[str] = field(default_factory=list)
    places: list[str] = field(default_factory=list)  # the area each variable belongs to
    index: dict[tuple, int] = field(default_factory=dict)
    fixed_zero: set[int] = field(default_factory=set)
    equalities: list[tuple[dict[int, float], float]] = field(default_factory=list)
    inequalities: list[tuple[dict[int, float], float]] = field(default_factory=list)
    quantities: list[tuple[str, dict[int, float], float]] = field(default_factory=list)

    def variable(self, key: tuple, name: str, place: str) -> int:
        if key not in self.index:
            self.index[key] = len(self.names)
            self.names.append(name)
            self.places.append(place)
        return self.index[key]


def _month_label(period: pd.Timestamp) -> str:
    return pd.Timestamp(period).strftime("%Y-%m")


def _add_months(period: pd.Timestamp, months: int) -> pd.Timestamp:
    return pd.Timestamp(period) + pd.DateOffset(months=months)


class _Model:
    """Builds the attacker's linear system from the published cells."""

    def __init__(self, cells: pd.DataFrame, catalogue: pd.DataFrame):
        self.system = _LinearSystem()
        self.catalogue = catalogue.set_index("indicator_id")
        self.cells = {
            (row.area_id, pd.Timestamp(row.period), row.indicator_id): row
            for row in cells.itertuples(index=False)
        }
        self.inconsistencies: list[str] = []

    def has_denominator(self, indicator_id: str) -> bool:
        return self.catalogue.at[indicator_id, "unit"] != "count"

    def is_proportion(self, indicator_id: str) -> bool:
        return self.catalogue.at[indicator_id, "unit"] == "pct"

    def component(self, area_id, period, indicator_id, which: str):
        """(constant, variable index or None) for a cell's numerator or denominator."""
        row = self.cells.get((area_id, period, indicator_id))
        if row is None:
            return None
        value = getattr(row, which)
        if not pd.isna(value):
            return float(value), None  # published, even on a hidden row (former rules)
        if not row.suppressed:
            return None  # not published (a count's denominator): no relation
        label = f"{indicator_id} {area_id} {_month_label(period)} {which}"
        return 0.0, self.system.variable(
            ("cell", which, area_id, period, indicator_id), label, area_id
        )

    def relation(self, terms: Iterable[tuple[float, tuple | None]], what: str) -> None:
        """Add sum(coefficient x component) = 0, or check it when everything is published."""
        coefficients: dict[int, float] = {}
        constant = 0.0
        for coefficient, part in terms:
            if part is None:
                return  # a component that is not published at all: no relation
            value, variable = part
            constant += coefficient * value
            if variable is not None:
                coefficients[variable] = coefficients.get(variable, 0.0) + coefficient
        coefficients = {k: v for k, v in coefficients.items() if v != 0}
        if coefficients:
            self.system.equalities.append((coefficients, -constant))
        elif abs(constant) > 1e-3:
            self.inconsistencies.append(f"{what} does not hold on the published cells")

    def add_totals(self) -> None:
        by_total: dict[tuple, list] = {}
        for area_id, period, indicator_id in self.cells:
            if area_id != "municipality":
                by_total.setdefault((period, indicator_id), []).append(area_id)
        for (period, indicator_id), areas in by_total.items():
            if (("municipality", period, indicator_id)) not in self.cells:
                continue
            components = ["numerator"] + (
                ["denominator"] if self.has_denominator(indicator_id) else []
            )
            for which in components:
                terms = [(1.0, self.component(a, period, indicator_id, which)) for a in areas]
                terms.append((-1.0, self.component("municipality", period, indicator_id, which)))
                self.relation(terms, f"total of {indicator_id} {_month_label(period)} {which}")

    def add_shared_components(self, relations: pd.DataFrame) -> None:
        groups = [
            (
                relation_id,
                [
                    (float(p.coefficient), p.indicator_id, p.component)
                    for p in parts.itertuples(index=False)
                ],
            )
            for relation_id, parts in relations.groupby("relation_id")
        ]
        # Areas only: an indicator that covers the housing areas alone (housing) does not
        # share the municipality's total with one that covers everyone.
        places = {
            (area_id, period) for area_id, period, _ in self.cells if area_id != "municipality"
        }
        for area_id, period in places:
            for relation_id, parts in groups:
                terms = [
                    (coefficient, self.component(area_id, period, indicator_id, which))
                    for coefficient, indicator_id, which in parts
                ]
                self.relation(terms, f"relation {relation_id} in {area_id} {_month_label(period)}")

    def add_rolling_windows(self) -> None:
        system = self.system
        for area_id, period, indicator_id in self.cells:
            kind = self.catalogue.at[indicator_id, "rolling_window"]
            if area_id == "municipality" or kind not in ("numerator", "both"):
                continue
            summed = ["numerator"] + (["denominator"] if kind == "both" else [])
            for which in summed:
                latent = "count" if which == "numerator" else "denominator count"
                months = []
                for back in range(12):
                    month = _add_months(period, -back)
                    label = f"{indicator_id} {area_id} {_month_label(month)} monthly {latent}"
                    months.append(
                        system.variable(
                            ("month", which, area_id, month, indicator_id), label, area_id
                        )
                    )
                part = self.component(area_id, period, indicator_id, which)
                if part is None:
                    continue
                value, variable = part
                coefficients = {m: 1.0 for m in months}
                if variable is None:
                    if value == 0:
                        system.fixed_zero.update(months)
                    system.equalities.append((coefficients, value))
                else:
                    coefficients[variable] = -1.0
                    system.equalities.append((coefficients, 0.0))

    def add_quantities(self) -> None:
        """The protected quantities: every hidden cell's numerator (and complement, for
        proportions), every latent monthly count (and its denominator and complement)."""
        for (area_id, period, indicator_id), row in self.cells.items():
            if not row.suppressed:
                continue
            label = f"{indicator_id} {area_id} {_month_label(period)}"
            numerator = self.component(area_id, period, indicator_id, "numerator")
            self.protect(f"{label} numerator", [(1.0, numerator)])
            if self.has_denominator(indicator_id) and self.is_proportion(indicator_id):
                denominator = self.component(area_id, period, indicator_id, "denominator")
                self.at_most(numerator, denominator)
                self.protect(f"{label} complement", [(1.0, denominator), (-1.0, numerator)])
        system = self.system
        for key, variable in list(system.index.items()):
            kind, which, area_id, month, indicator_id = key
            if kind != "month" or which != "numerator":
                continue
            label = f"{indicator_id} {area_id} {_month_label(month)} monthly"
            count = (0.0, variable)
            self.protect(f"{label} count", [(1.0, count)])
            partner = system.index.get((kind, "denominator", area_id, month, indicator_id))
            if partner is not None:
                self.protect(f"{label} denominator count", [(1.0, (0.0, partner))])
                if self.is_proportion(indicator_id):
                    self.at_most(count, (0.0, partner))
                    self.protect(f"{label} complement", [(1.0, (0.0, partner)), (-1.0, count)])

    def at_most(self, smaller, larger) -> None:
        """smaller <= larger, for components (constant, variable or None)."""
        coefficients: dict[int, float] = {}
        if smaller[1] is not None:
            coefficients[smaller[1]] = 1.0
        if larger[1] is not None:
            coefficients[larger[1]] = coefficients.get(larger[1], 0.0) - 1.0
        if coefficients:
            self.system.inequalities.append((coefficients, larger[0] - smaller[0]))

    def protect(self, label: str, terms) -> None:
        coefficients: dict[int, float] = {}
        constant = 0.0
        for coefficient, (value, variable) in terms:
            constant += coefficient * value
            if variable is not None:
                coefficients[variable] = coefficients.get(variable, 0.0) + coefficient
        if coefficients:  # a quantity of published parts only is published itself
            self.system.quantities.append((label, coefficients, constant))


def _matrices(system: _LinearSystem):
    n = len(system.names)

    def to_sparse(rows: list[dict[int, float]]):
        data, row_index, col_index = [], [], []
        for i, coefficients in enumerate(rows):
            for j, v in coefficients.items():
                row_index.append(i)
                col_index.append(j)
                data.append(v)
        return sparse.csr_matrix((data, (row_index, col_index)), shape=(len(rows), n))

    a_eq = to_sparse([c for c, _ in system.equalities])
    b_eq = np.array([rhs for _, rhs in system.equalities], dtype=float)
    a_ub = to_sparse([c for c, _ in system.inequalities])
    b_ub = np.array([rhs for _, rhs in system.inequalities], dtype=float)
    upper = np.full(n, UNBOUNDED)
    upper[list(system.fixed_zero)] = 0.0
    q = to_sparse([c for _, c, _ in system.quantities])
    q_constant = np.array([k for _, _, k in system.quantities], dtype=float)
    return a_eq, b_eq, a_ub, b_ub, upper, q, q_constant


def _highs(matrix, row_lower, row_upper, upper, cost, strategy) -> highspy.Highs:
    matrix = matrix.tocsc()
    lp = highspy.HighsLp()
    lp.num_col_ = len(upper)
    lp.num_row_ = matrix.shape[0]
    lp.col_cost_ = cost
    lp.col_lower_ = np.zeros(len(upper))
    lp.col_upper_ = upper
    lp.row_lower_ = row_lower
    lp.row_upper_ = row_upper
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = matrix.indptr
    lp.a_matrix_.index_ = matrix.indices
    lp.a_matrix_.value_ = matrix.data
    highs = highspy.Highs()
    highs.setOptionValue("output_flag", False)
    # Presolve would cost more than a warm-started re-solve saves (10 s against 2 s on a
    # block of 20,000 variables).
    highs.setOptionValue("presolve", "off")
    if strategy == INTERIOR:
        highs.setOptionValue("solver", "ipm")
        highs.setOptionValue("run_crossover", "off")
    else:
        highs.setOptionValue("simplex_strategy", strategy)
    highs.passModel(lp)
    return highs


# A re-solve starts from the last optimal basis. A new objective keeps it primal feasible,
# new bounds keep it dual feasible: each change is solved by the simplex that stays
# feasible (about 15 times faster than starting over). An interior point method without
# crossover gives a point inside the feasible set rather than at a corner.
PRIMAL, DUAL, INTERIOR = 4, 1, "interior"


def _optimum(highs: highspy.Highs) -> np.ndarray:
    highs.run()
    status = highs.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError("disclosure audit LP failed: " + highs.modelStatusToString(status))
    return np.asarray(highs.getSolution().col_value)


class _Block:
    """A part of the linear system with its quantities, in HiGHS instances that are
    re-solved from their last optimal basis: one for single objectives, and two (built
    when first used) that move many quantities at once, up or down."""

    def __init__(self, a_eq, b_eq, a_ub, b_ub, upper, quantities, constants):
        self.matrix = sparse.vstack([a_eq, a_ub])
        self.row_lower = np.concatenate([b_eq, np.full(len(b_ub), -INF)])
        self.row_upper = np.concatenate([b_eq, b_ub])
        self.upper = upper
        self.quantities, self.constants = quantities, constants
        n, k, m = len(upper), quantities.shape[0], self.matrix.shape[0]
        self.columns = np.arange(n, dtype=np.int32)
        self.slacks = np.arange(n, n + k, dtype=np.int32)
        self.moved_rows = np.arange(m, m + k, dtype=np.int32)
        self.highs = _highs(self.matrix, self.row_lower, self.row_upper, upper, np.zeros(n), PRIMAL)

    def centre(self) -> np.ndarray:
        """A feasible point away from the corners: every part of the block has some room."""
        return _optimum(
            _highs(
                self.matrix,
                self.row_lower,
                self.row_upper,
                self.upper,
                np.zeros(len(self.upper)),
                INTERIOR,
            )
        )

    def solve(self, objective: np.ndarray) -> np.ndarray:
        """A point minimising `objective` over the block."""
        self.highs.changeColsCost(len(self.columns), self.columns, objective)
        return _optimum(self.highs)

    # Maximise the sum of s_i, each s_i capped by its target and by how far quantity i has
    # moved: up, s_i <= quantity_i; down, s_i <= high_i - quantity_i. Unlike a plain sum,
    # a quantity gains nothing past its target, so the others get their share. A quantity
    # left out gets target 0 (and, down, a free row).
    def _mover(self, sign: int) -> highspy.Highs:
        n, k = len(self.upper), len(self.slacks)
        return _highs(
            sparse.bmat([[self.matrix, None], [-sign * self.quantities, sparse.identity(k)]]),
            np.concatenate([self.row_lower, np.full(k, -INF)]),
            np.concatenate([self.row_upper, self.constants if sign > 0 else np.full(k, INF)]),
            np.concatenate([self.upper, np.zeros(k)]),
            np.concatenate([np.zeros(n), -np.ones(k)]),
            DUAL,
        )

    @cached_property
    def raiser(self) -> highspy.Highs:
        return self._mover(1)

    @cached_property
    def lowerer(self) -> highspy.Highs:
        return self._mover(-1)

    def raise_all(self, chosen: np.ndarray, low: np.ndarray, level: float) -> np.ndarray:
        """A point raising every chosen quantity towards `low` + `level` at once."""
        return self._move(self.raiser, np.where(chosen, np.maximum(low + level, 0), 0.0))

    def lower_all(self, chosen: np.ndarray, high: np.ndarray, level: float) -> np.ndarray:
        """A point lowering every chosen quantity towards `high` - `level` at once."""
        k = len(self.slacks)
        rows_upper = np.where(chosen, high - self.constants, INF)
        self.lowerer.changeRowsBounds(k, self.moved_rows, np.full(k, -INF), rows_upper)
        return self._move(self.lowerer, np.where(chosen, level, 0.0))

    def _move(self, highs: highspy.Highs, targets: np.ndarray) -> np.ndarray:
        k = len(self.slacks)
        highs.changeColsBounds(k, self.slacks, np.zeros(k), targets)
        return _optimum(highs)[: len(self.columns)]


class _Intervals:
    """The lowest and highest value seen so far for each quantity, from feasible points."""

    def __init__(self, q, q_constant, fixed, protection_level: float):
        self.q, self.q_constant, self.fixed = q, q_constant, fixed
        self.level = protection_level
        self.low = np.full(q.shape[0], np.inf)
        self.high = np.full(q.shape[0], -np.inf)
        self.solves = 0
        self.rng = np.random.default_rng(0)

    def open(self, rows) -> np.ndarray:
        """Whether each quantity's interval is still narrower than the protection level."""
        return (self.high[rows] - self.low[rows] < self.level - TOLERANCE) & ~self.fixed[rows]

    def harvest(self, rows, q_part, point) -> None:
        self.solves += 1
        values = q_part @ point + self.q_constant[rows]
        self.low[rows] = np.minimum(self.low[rows], values)
        self.high[rows] = np.maximum(self.high[rows], values)

    def move(self, block: _Block, rows) -> None:
        """Rounds moving the open quantities (a random half up, the other half down: two
        quantities that can only move against each other then both move), repeated while
        a round settles more quantities than their own solves would cost."""
        still_open = self.open(rows)
        while still_open.any():
            half = self.rng.random(len(rows)) < 0.5
            up = block.raise_all(still_open & half, self.low[rows], self.level)
            self.harvest(rows, block.quantities, up)
            down = block.lower_all(self.open(rows) & ~half, self.high[rows], self.level)
            self.harvest(rows, block.quantities, down)
            settled = still_open.sum() - self.open(rows).sum()
            still_open = self.open(rows)
            if settled < WORTH_A_ROUND:
                break

    def settle_exactly(self, block: _Block, rows) -> None:
        """Each quantity still open gets its own minimum and maximum."""
        for r in np.flatnonzero(self.open(rows)):
            for sign in (-1.0, 1.0):
                if self.open(rows[r]):
                    objective = sign * block.quantities[r].toarray().ravel()
                    self.harvest(rows, block.quantities, block.solve(objective))


def solve_intervals(system: _LinearSystem, protection_level: float) -> tuple[list[Exposure], int]:
    """The quantities whose feasible interval is narrower than the protection level.

    Connected blocks of variables are solved apart (small ones binned together, since a
    solve has a fixed cost). In each bin, one solve finds a feasible point (every quantity
    pushed down). A large bin is then cut into groups of areas, each solved with every
    variable outside it fixed at that point: points found there are feasible for the whole
    bin, and a group is small and fast. Rounds of `_Intervals.move` move the open
    quantities together, in the groups and then in the whole bin; whatever is still
    narrower than the protection level gets its own exact minimum and maximum."""
    if not system.quantities:
        return [], 0
    a_eq, b_eq, a_ub, b_ub, upper, q, q_constant = _matrices(system)
    # Quantities whose variables are all fixed at zero (months of a published zero
    # window) are known exactly: a disclosure unless that value is zero.
    fixed = np.asarray((abs(q) @ upper) == 0).ravel()
    exposures = [
        Exposure(system.quantities[i][0], q_constant[i], q_constant[i])
        for i in np.flatnonzero(fixed & (q_constant > TOLERANCE))
    ]
    constraints = (abs(sparse.vstack([a_eq, a_ub])) > 0).astype(int)
    incidence = sparse.vstack([constraints, (abs(q) > 0).astype(int)]).tocsc()
    _, block = connected_components(incidence.T @ incidence, directed=False)
    main_variable = np.asarray(abs(q).argmax(axis=1)).ravel()
    quantity_block = block[main_variable]
    places = np.array(system.places)
    intervals = _Intervals(q, q_constant, fixed, protection_level)

    for blocks in _bins(block, np.unique(quantity_block[~fixed])):
        members = np.flatnonzero(np.isin(block, blocks))
        rows = np.flatnonzero(np.isin(quantity_block, blocks) & ~fixed)
        eq, ub = _restrict(a_eq, b_eq, members), _restrict(a_ub, b_ub, members)
        q_bin = q[rows][:, members].tocsr()
        whole = _Block(*eq, *ub, upper[members], q_bin, q_constant[rows])
        point = whole.centre()
        intervals.harvest(rows, q_bin, point)
        if len(members) > BIN_VARIABLES:
            for inside, part in _groups(places[members], places[main_variable[rows]]):
                group = _Block(
                    *_fix_outside(*eq, inside, point),
                    *_fix_outside(*ub, inside, point),
                    upper[members][inside],
                    q_bin[part][:, inside],
                    q_constant[rows[part]],
                )
                intervals.move(group, rows[part])
        still_open = rows[intervals.open(rows)]
        if len(still_open):
            rest = _Block(
                *eq, *ub, upper[members], q[still_open][:, members].tocsr(), q_constant[still_open]
            )
            intervals.move(rest, still_open)
            intervals.settle_exactly(rest, still_open)
        exposures += [
            Exposure(
                system.quantities[i][0], round(intervals.low[i], 6), round(intervals.high[i], 6)
            )
            for i in rows[intervals.open(rows)]
            if intervals.high[i] > TOLERANCE
        ]
    return exposures, intervals.solves


def _groups(variable_places: np.ndarray, quantity_places: np.ndarray, size: int = BIN_VARIABLES):
    """Groups of areas of about `size` variables: (variables inside, quantities inside).
    The municipality's own cells stay fixed (every group shares them)."""
    areas, counts = np.unique(variable_places, return_counts=True)
    group, total = [], 0
    for area, count in zip(areas, counts):
        if area == "municipality":
            continue
        group.append(area)
        total += count
        if total >= size:
            yield np.isin(variable_places, group), np.flatnonzero(np.isin(quantity_places, group))
            group, total = [], 0
    if group:
        yield np.isin(variable_places, group), np.flatnonzero(np.isin(quantity_places, group))


def _fix_outside(a, b, inside: np.ndarray, point: np.ndarray):
    """The rows of a constraint matrix that touch the `inside` columns, on those columns,
    with every other variable fixed at `point`."""
    rows = np.unique(a[:, inside].nonzero()[0]) if a.shape[0] else np.array([], dtype=int)
    a_rows = a[rows]
    return a_rows[:, inside], b[rows] - a_rows[:, ~inside] @ point[~inside]


def _bins(block: np.ndarray, blocks: np.ndarray, size: int = BIN_VARIABLES):
    """Blocks gathered into bins of about `size` variables (a large block alone)."""
    sizes = np.bincount(block)
    current, total = [], 0
    for b in blocks[np.argsort(sizes[blocks])]:
        current.append(b)
        total += sizes[b]
        if total >= size:
            yield current
            current, total = [], 0
    if current:
        yield current


def _restrict(a, b, members):
    """The rows of a constraint matrix that touch `members`, on those columns only."""
    if not a.shape[0]:
        return a[:, members], b
    rows = np.unique(a[:, members].nonzero()[0])
    return a[rows][:, members], b[rows]


def audit(
    cells: pd.DataFrame,
    catalogue: pd.DataFrame,
    relations: pd.DataFrame,
    protection_level: float,
) -> AuditReport:
    """Audit published fact cells (area_id, period, indicator_id, numerator, denominator,
    suppressed) against the catalogue (indicator_id, unit, rolling_window) and the shared
    component relations (relation_id, indicator_id, component, coefficient)."""
    started = time.perf_counter()
    model = _Model(cells, catalogue)
    model.add_totals()
    model.add_shared_components(relations)
    model.add_rolling_windows()
    model.add_quantities()
    report = AuditReport(protection_level=protection_level)
    report.inconsistencies = model.inconsistencies
    report.hidden_quantities = len(model.system.quantities)
    report.exposures, report.exactly_solved = solve_intervals(model.system, protection_level)
    report.seconds = time.perf_counter() - started
    return report


# The statutory criteria and the fact cells behind them: column, indicator, and the
# calendar years counted, as years before the list year (from, to).
_CRITERIA_CELLS = [
    ("c1_outside_work_edu", "emp_outside_work_edu", 2, 1),
    ("c2_conviction_ratio", "stat_conviction_ratio", 1, 0),
    ("c3_basic_education", "stat_basic_education", 0, 0),
    ("c4_income_ratio", "stat_income_ratio", 0, 0),
]


def _criteria_checks(con) -> list[str]:
    found = []
    for column, indicator, earliest, latest in _CRITERIA_CELLS:
        rows = con.execute(
            f"""
            select distinct s.area_id, s.list_year from statutory_criteria as s
            inner join fct_area_indicator_month as f
                on f.area_id = s.area_id and f.indicator_id = ?
                and extract(year from f.period) between s.list_year - ? and s.list_year - ?
            where s.{column} is not null and f.suppressed
            """,
            [indicator, earliest, latest],
        ).fetchall()
        found += [f"statutory {column} {a} {y} shows a hidden cell" for a, y in rows]
    return found


def _profile_checks(con) -> list[str]:
    indicators = [
        row[0] for row in con.execute("select indicator_id from indicator_catalogue").fetchall()
    ]
    found = []
    for indicator in indicators:
        rows = con.execute(
            f"""
            select p.area_id, p.period from kvarterprofil as p
            inner join fct_area_indicator_month as f
                on f.area_id = p.area_id and f.period = p.period
                and f.indicator_id = '{indicator}'
            left join fct_area_indicator_month as before
                on before.area_id = p.area_id and before.indicator_id = '{indicator}'
                and before.period = p.period - interval '12 months'
            where (f.suppressed and p.{indicator} is not null)
                or ((f.suppressed or coalesce(before.suppressed, true))
                    and p.{indicator}_change_12m is not null)
            """
        ).fetchall()
        found += [
            f"kvarterprofil {indicator} {a} {_month_label(p)} shows a hidden cell" for a, p in rows
        ]
    return found


def audit_published(path: Path | str) -> AuditReport:
    """Audit a published copy, reading nothing but that file."""
    with duckdb.connect(str(path), read_only=True) as con:
        cells = con.execute(
            "select area_id, period, indicator_id, numerator, denominator, suppressed"
            " from fct_area_indicator_month"
        ).df()
        catalogue = con.execute(
            "select indicator_id, unit, rolling_window from indicator_catalogue"
        ).df()
        relations = con.execute("select * from disclosure_relations").df()
        protection = con.execute("select protection_level from disclosure_rules").fetchone()[0]
        derived = _criteria_checks(con) + _profile_checks(con)
    report = audit(cells, catalogue, relations, float(protection))
    report.inconsistencies += derived
    return report
