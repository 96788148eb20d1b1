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
# A round of raising every open quantity at once is repeated while it settles this many.
WORTH_A_RAISE = 10


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
    index: dict[tuple, int] = field(default_factory=dict)
    fixed_zero: set[int] = field(default_factory=set)
    equalities: list[tuple[dict[int, float], float]] = field(default_factory=list)
    inequalities: list[tuple[dict[int, float], float]] = field(default_factory=list)
    quantities: list[tuple[str, dict[int, float], float]] = field(default_factory=list)

    def variable(self, key: tuple, name: str) -> int:
        if key not in self.index:
            self.index[key] = len(self.names)
            self.names.append(name)
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
        return 0.0, self.system.variable(("cell", which, area_id, period, indicator_id), label)

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
                        system.variable(("month", which, area_id, month, indicator_id), label)
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


def _highs(matrix, row_lower, row_upper, upper, cost) -> highspy.Highs:
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
    highs.passModel(lp)
    return highs


def _optimum(highs: highspy.Highs) -> np.ndarray:
    highs.run()
    status = highs.getModelStatus()
    if status != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError("disclosure audit LP failed: " + highs.modelStatusToString(status))
    return np.asarray(highs.getSolution().col_value)


class _Block:
    """One bin of the linear system in a HiGHS instance: re-solved with a new objective
    from the last optimal basis (warm start)."""

    def __init__(self, a_eq, b_eq, a_ub, b_ub, upper):
        self.matrix = sparse.vstack([a_eq, a_ub]).tocsr()
        self.row_lower = np.concatenate([b_eq, np.full(len(b_ub), -highspy.kHighsInf)])
        self.row_upper = np.concatenate([b_eq, b_ub])
        self.upper = upper
        self.columns = np.arange(len(upper), dtype=np.int32)
        self.highs = _highs(
            self.matrix, self.row_lower, self.row_upper, upper, np.zeros(len(upper))
        )

    def solve(self, objective: np.ndarray) -> np.ndarray:
        """A point minimising `objective` over the block."""
        self.highs.changeColsCost(len(self.columns), self.columns, objective)
        return _optimum(self.highs)

    def raise_all(self, quantities, constants: np.ndarray, targets: np.ndarray) -> np.ndarray:
        """A point raising every quantity towards its target at once: maximise the sum of
        s_i with s_i <= quantity_i and s_i <= target_i. Unlike a plain sum, a quantity
        gains nothing past its target, so the others get their share."""
        k = quantities.shape[0]
        matrix = sparse.bmat(
            [
                [self.matrix, None],
                [-quantities, sparse.identity(k)],
            ]
        )
        highs = _highs(
            matrix,
            np.concatenate([self.row_lower, np.full(k, -highspy.kHighsInf)]),
            np.concatenate([self.row_upper, constants]),
            np.concatenate([self.upper, np.maximum(targets, 0)]),
            np.concatenate([np.zeros(len(self.upper)), -np.ones(k)]),
        )
        return _optimum(highs)[: len(self.upper)]


def solve_intervals(system: _LinearSystem, protection_level: float) -> tuple[list[Exposure], int]:
    """The quantities whose feasible interval is narrower than the protection level.

    Connected blocks of variables are solved apart (small ones binned together, since a
    solve has a fixed cost). In each bin, one solve pushes every quantity down, then rounds
    of `_Block.raise_all` raise the open ones together; whatever is still narrower than
    the protection level then gets its own exact minimum and maximum."""
    if not system.quantities:
        return [], 0
    a_eq, b_eq, a_ub, b_ub, upper, q, q_constant = _matrices(system)
    low = np.full(q.shape[0], np.inf)
    high = np.full(q.shape[0], -np.inf)
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
    quantity_block = block[np.asarray(abs(q).argmax(axis=1)).ravel()]
    solved = 0

    def is_open(i):
        return high[i] - low[i] < protection_level - TOLERANCE and not fixed[i]

    for blocks in _bins(block, np.unique(quantity_block[~fixed])):
        members = np.flatnonzero(np.isin(block, blocks))
        in_bin = np.flatnonzero(np.isin(quantity_block, blocks) & ~fixed)
        q_bin = q[in_bin][:, members].tocsr()
        lp = _Block(
            *_restrict(a_eq, b_eq, members), *_restrict(a_ub, b_ub, members), upper[members]
        )

        def harvest(point, in_bin=in_bin, q_bin=q_bin):
            values = q_bin @ point + q_constant[in_bin]
            low[in_bin] = np.minimum(low[in_bin], values)
            high[in_bin] = np.maximum(high[in_bin], values)

        def push(objective, lp=lp, harvest=harvest):
            nonlocal solved
            harvest(lp.solve(objective))
            solved += 1

        push(np.asarray(q_bin.sum(axis=0)).ravel())
        # Raise every open quantity at once, again and again while a round still settles
        # more quantities than their own solves would cost.
        while True:
            rows = np.array([r for r, i in enumerate(in_bin) if is_open(i)], dtype=int)
            if not len(rows):
                break
            point = lp.raise_all(
                q_bin[rows], q_constant[in_bin[rows]], low[in_bin[rows]] + protection_level
            )
            solved += 1
            harvest(point)
            if len(rows) - sum(is_open(in_bin[r]) for r in rows) < WORTH_A_RAISE:
                break
        for r, i in enumerate(in_bin):
            for sign in (-1.0, 1.0):
                if is_open(i):
                    push(sign * q_bin[r].toarray().ravel())
            if is_open(i) and high[i] > TOLERANCE:
                exposures.append(
                    Exposure(system.quantities[i][0], round(low[i], 6), round(high[i], 6))
                )
    return exposures, solved


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
