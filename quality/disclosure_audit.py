"""The disclosure auditor: what an attacker holding only the published copy can work out.

The published fact is one system of linear relations: the areas (with `outside`) add up to
the municipality; indicators share components in the same area and month (seed
`disclosure_relations`: dwellings, occupied dwellings, residents by age band); a stock
changes month by month by its flows (seed `disclosure_stock_flows`: vacant dwellings by
move-outs and lettings); rolling 12-month windows are sums of monthly counts that overlap
month by month, and a window over summed denominators that an area lacks in a computed
month was zero (the models publish only windows above zero; `dim_area` says when an area
existed). For every hidden quantity (a hidden cell's numerator and, for proportions, its
complement; every monthly count behind a rolling window, and for windows over summed
denominators those counts' denominators and complements) the auditor computes the smallest
and largest value consistent with everything published, by linear programming (HiGHS), and
reports the quantities whose interval is narrower than the protection level (seed
`disclosure_rules`), unless the interval is exactly zero (a known zero is not a
disclosure). This is the audit step of secondary cell suppression (tau-Argus; de Wolf,
"Statistical Disclosure Control", Wiley 2012, ch. 4).

Speed: the system is built a relation at a time for all cells at once (numpy, pandas).
Each connected block of it is solved apart, in two processes for a large system, each
from one solver instance re-solved from its last basis. It starts from points that hold
all they can in one area or calendar month, and "swaps" (paired moves checked against
every row and bound) settle many quantities against each point. The open quantities are
then moved together, one warm-started solve at a time: the largest sum of those seen only
at zero (counts, and complements, each kept non-negative by a row), which proves them all
zero when it is zero; then random positive weights. A quantity is settled by two feasible
points at least the protection level apart. Variables that a row forces to zero are
fixed beforehand. Only the rest get an exact maximum and minimum, and exposures come only
from those. A solve that ends without an optimum is retried with other options
(`RETRIES`); a block that none solves fails the audit, named.
Windows of distinct people (`people`) are not sums of monthly counts and enter through the
totals only.

Also checked: the Kvarterprofil shows nothing behind a hidden fact cell, nor do the
statutory criteria, whose flags and lists must follow from the values shown
(quality/statutory_audit.py).
"""

from __future__ import annotations

import copy
import hashlib
import importlib.metadata
import multiprocessing
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import highspy
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from quality.statutory_audit import statutory_checks

# Larger than any published count: an interval reaching it is unbounded in practice.
UNBOUNDED = 1e7
TOLERANCE = 1e-6
# Small blocks are solved together up to this many variables: a solve has a fixed cost.
BIN_VARIABLES = 2000
INF = highspy.kHighsInf


@dataclass(frozen=True)
class Exposure:
    """A hidden quantity pinned to a narrower interval than the protection level."""

    quantity: str
    low: float
    high: float

    def __str__(self) -> str:
        """Names the quantity and how narrowly it is known, never its bounds: they are the
        hidden value (a finding goes to Dagster's metadata and the data team's mail)."""
        return f"{self.quantity} known to within {self.high - self.low:g}"


@dataclass
class AuditReport:
    protection_level: float
    hidden_quantities: int = 0
    exactly_solved: int = 0
    exposures: list[Exposure] = field(default_factory=list)
    inconsistencies: list[str] = field(default_factory=list)
    # Bins whose linear programs failed (`SolverFailure`): nothing in them proven safe.
    unproven: list[str] = field(default_factory=list)
    seconds: float = 0.0
    # Blocks whose intervals came from the last audit (`BlockMemo`).
    blocks_reused: int = 0

    @property
    def findings(self) -> list[str]:
        return [str(e) for e in self.exposures] + self.inconsistencies + self.unproven

    @property
    def passed(self) -> bool:
        return not self.findings


@dataclass
class _LinearSystem:
    """Equalities a_eq x = b_eq, inequalities a_ub x <= b_ub, bounds 0 <= x <= upper, and
    the named quantities to protect, q x + q_constant."""

    places: np.ndarray  # the area each variable belongs to
    months: np.ndarray  # and its month (counted from January of year 0)
    a_eq: sparse.csr_matrix
    b_eq: np.ndarray
    a_ub: sparse.csr_matrix
    b_ub: np.ndarray
    upper: np.ndarray
    labels: np.ndarray
    q: sparse.csr_matrix
    q_constant: np.ndarray
    # Candidate moves for `_Swaps` (columns: a change of a few variables and of the
    # hidden windows they feed).
    units: sparse.csc_matrix
    # Quantities that no feasible point makes negative (`_Intervals.settle_by_sums`).
    never_negative: np.ndarray


COMPONENTS = ("numerator", "denominator")
MUNICIPALITY = "municipality"


def _month_labels(months: np.ndarray) -> np.ndarray:
    """'YYYY-MM' for months counted from January of year 0."""
    unique, inverse = np.unique(months, return_inverse=True)
    return np.array([f"{m // 12:04d}-{m % 12 + 1:02d}" for m in unique], dtype=object)[inverse]


def _keys(area, month, indicator) -> pd.MultiIndex:
    return pd.MultiIndex.from_arrays([area, month, indicator])


class _Model:
    """Builds the attacker's linear system from the published cells, a relation at a time
    for all cells at once. A row is a sum of terms, coefficient x either a cell's
    component (published: a constant; hidden: a variable) or a latent monthly variable;
    a component that is not published at all (a count's denominator) drops the row."""

    def __init__(self, cells: pd.DataFrame, catalogue: pd.DataFrame):
        catalogue = catalogue.set_index("indicator_id")
        period = pd.to_datetime(cells["period"])
        self.area = cells["area_id"].to_numpy(dtype=object)
        self.month = (period.dt.year * 12 + period.dt.month - 1).to_numpy()
        self.indicator = cells["indicator_id"].to_numpy(dtype=object)
        self.unit = cells["indicator_id"].map(catalogue["unit"]).to_numpy(dtype=object)
        self.kind = cells["indicator_id"].map(catalogue["rolling_window"]).to_numpy(dtype=object)
        self.suppressed = cells["suppressed"].to_numpy(dtype=bool)
        self.cell_index = _keys(self.area, self.month, self.indicator)
        # Per cell and component, and a last row standing for a missing cell (a lookup
        # miss is -1): the published value, the variable of a hidden one, or missing.
        values = cells[list(COMPONENTS)].to_numpy(dtype=float)
        hidden = np.isnan(values) & self.suppressed[:, None]
        self.value = np.vstack([np.nan_to_num(values), [0.0, 0.0]])
        self.missing = np.vstack([np.isnan(values) & ~hidden, [True, True]])
        self.variable = np.full(self.value.shape, -1)
        self.variable[:-1][hidden] = np.arange(hidden.sum())
        places = [np.broadcast_to(self.area[:, None], hidden.shape)[hidden]]
        months = [np.broadcast_to(self.month[:, None], hidden.shape)[hidden]]
        self.windowed = (self.area != MUNICIPALITY) & np.isin(self.kind, ["numerator", "both"])
        self.latent = []  # per component: the index of its latent monthly variables
        for which in COMPONENTS:
            summed = self._summed(which)
            keys = pd.DataFrame(
                {
                    "area": np.repeat(self.area[summed], 12),
                    "month": (self.month[summed][:, None] - np.arange(12)).ravel(),
                    "indicator": np.repeat(self.indicator[summed], 12),
                }
            ).drop_duplicates()
            self.latent.append(pd.MultiIndex.from_frame(keys))
            places.append(keys["area"].to_numpy())
            months.append(keys["month"].to_numpy())
        self.latent_start = np.cumsum([hidden.sum(), len(self.latent[0])])
        self.places = np.concatenate(places)
        self.months = np.concatenate(months)
        self.upper = np.full(len(self.places), UNBOUNDED)
        self.equalities: list[tuple[sparse.csr_matrix, np.ndarray]] = []
        self.inequalities: list[tuple[sparse.csr_matrix, np.ndarray]] = []
        self.quantities: list[tuple[np.ndarray, sparse.csr_matrix, np.ndarray]] = []
        self.inconsistencies: list[str] = []
        self.feeds: list[tuple[np.ndarray, np.ndarray]] = []  # (hidden window, monthly count)

    def _summed(self, which: str) -> np.ndarray:
        """The cells whose `which` is a rolling 12-month sum of latent monthly counts."""
        return self.windowed & ((which == "numerator") | (self.kind == "both"))

    def _latent(self, w: int, area, month, indicator) -> np.ndarray:
        """The variables of latent monthly counts (component `w`), -1 where there is none."""
        found = self.latent[w].get_indexer(_keys(area, month, indicator))
        return np.where(found >= 0, found + self.latent_start[w], -1)

    def _rows(self, count: int, cell_terms=(), variable_terms=()):
        """`count` rows from terms (row, cell, component, coefficient) and (row, variable,
        coefficient): (matrix, constant part, whether every component is published)."""
        rows, columns, coefficients = [], [], []
        constant = np.zeros(count)
        valid = np.ones(count, dtype=bool)
        for row, cell, w, coefficient in cell_terms:
            coefficient = np.broadcast_to(coefficient, row.shape)
            valid[row[self.missing[cell, w]]] = False
            constant += np.bincount(row, coefficient * self.value[cell, w], minlength=count)
            variable = self.variable[cell, w]
            variable_terms = [*variable_terms, (row, variable, coefficient)]
        for row, variable, coefficient in variable_terms:
            used = variable >= 0
            rows.append(row[used])
            columns.append(variable[used])
            coefficients.append(np.broadcast_to(coefficient, row.shape)[used])
        matrix = sparse.csr_matrix(
            (np.concatenate(coefficients), (np.concatenate(rows), np.concatenate(columns))),
            shape=(count, len(self.places)),
        )
        matrix.eliminate_zeros()
        return matrix, constant, valid

    def _relation(self, rows, describe) -> None:
        """Add each row = 0, or check it when everything in it is published."""
        matrix, constant, valid = rows
        has_variables = np.diff(matrix.indptr) > 0
        broken = np.flatnonzero(valid & ~has_variables & (np.abs(constant) > 1e-3))
        self.inconsistencies += [
            f"{what} does not hold on the published cells" for what in describe(broken)
        ]
        kept = valid & has_variables
        self.equalities.append((matrix[kept], -constant[kept]))

    def add_totals(self) -> None:
        is_total = self.area == MUNICIPALITY
        total = self.cell_index.get_indexer(
            _keys(np.full(len(self.area), MUNICIPALITY), self.month, self.indicator)
        )
        parts = np.flatnonzero(~is_total & (total >= 0))
        for w, which in enumerate(COMPONENTS):
            totals = np.flatnonzero(is_total & ((w == 0) | (self.unit != "count")))
            row_of = np.full(len(self.area), -1)
            row_of[totals] = np.arange(len(totals))
            mine = parts[row_of[total[parts]] >= 0]
            rows = self._rows(
                len(totals),
                [(row_of[total[mine]], mine, w, 1.0), (np.arange(len(totals)), totals, w, -1.0)],
            )
            # A total without area cells is no relation.
            rows[2][np.bincount(row_of[total[mine]], minlength=len(totals)) == 0] = False
            labels = _month_labels(self.month[totals])
            self._relation(
                rows,
                lambda i, t=totals, m=labels, c=which: [
                    f"total of {self.indicator[t[j]]} {m[j]} {c}" for j in i
                ],
            )

    def add_shared_components(self, relations: pd.DataFrame) -> None:
        # Areas only: an indicator that covers the housing areas alone (housing) does not
        # share the municipality's total with one that covers everyone.
        places = (
            pd.DataFrame({"area": self.area, "month": self.month})[self.area != MUNICIPALITY]
            .drop_duplicates()
            .to_numpy()
        )
        names, relation = np.unique(relations["relation_id"], return_inverse=True)
        count = len(places) * len(names)
        terms = []
        for part, part_relation in zip(relations.itertuples(index=False), relation):
            cell = self.cell_index.get_indexer(
                _keys(
                    places[:, 0], places[:, 1].astype(int), np.full(len(places), part.indicator_id)
                )
            )
            row = np.arange(len(places)) * len(names) + part_relation
            terms.append((row, cell, COMPONENTS.index(part.component), float(part.coefficient)))
        labels = _month_labels(places[:, 1].astype(int))
        self._relation(
            self._rows(count, terms),
            lambda i: [
                f"relation {names[j % len(names)]} in {places[j // len(names), 0]} "
                f"{labels[j // len(names)]}"
                for j in i
            ],
        )

    def add_stock_flows(self, flows: pd.DataFrame, every_series: bool = False) -> None:
        """A stock's change over a month is the month's inflow less its outflow (seed
        `disclosure_stock_flows`: the vacant dwellings on the 1st gain the month's
        move-outs and lose its lettings), for each area and month with a cell of the stock
        at both ends: stock(t + 1) - stock(t) - inflow(t) + outflow(t) = 0. A flow summed
        in rolling windows enters as its latent monthly count. Through the windows this
        ties a stock to itself a year earlier, so a published month can give a hidden
        one away. The municipality's follows from its areas' through the totals.

        Unless `every_series`, only series with a published month get the rows: with the
        rows of series hidden in every month, the municipality's hidden totals make the
        city's housing cells one program of 73,000 variables (190 s, not 12 s). Those are
        audited apart, area by area (`audit_stock_series`)."""
        for relation, parts in flows.groupby("relation_id"):
            role = {
                p.role: (p.indicator_id, COMPONENTS.index(p.component)) for p in parts.itertuples()
            }
            stock, w = role["stock"]
            series = (self.indicator == stock) & (self.area != MUNICIPALITY)
            published = series & (self.variable[:-1, w] < 0) & ~self.missing[:-1, w]
            anchored = every_series | np.isin(self.area, np.unique(self.area[published]))
            start = np.flatnonzero(series & anchored)
            end = self.cell_index.get_indexer(
                _keys(self.area[start], self.month[start] + 1, self.indicator[start])
            )
            start, end = start[end >= 0], end[end >= 0]
            row = np.arange(len(start))
            cell_terms = [(row, end, w, 1.0), (row, start, w, -1.0)]
            variable_terms, known = [], np.ones(len(start), dtype=bool)
            for name, sign in (("inflow", -1.0), ("outflow", 1.0)):
                indicator, v = role[name]
                keys = (self.area[start], self.month[start], np.full(len(start), indicator))
                if self._windowed_component(indicator, v):
                    latent = self._latent(v, *keys)
                    known &= latent >= 0  # a month no published window covers
                    variable_terms.append((row, latent, sign))
                else:
                    cell_terms.append((row, self.cell_index.get_indexer(_keys(*keys)), v, sign))
            matrix, constant, valid = self._rows(len(start), cell_terms, variable_terms)
            labels = _month_labels(self.month[start])
            self._relation(
                (matrix, constant, valid & known),
                lambda i, r=relation, s=start, m=labels: [
                    f"stock and flows {r} in {self.area[s[j]]} {m[j]}" for j in i
                ],
            )

    def _windowed_component(self, indicator: str, w: int) -> bool:
        """Whether an area's `indicator` component `w` is a rolling sum of latent months."""
        kind = self.kind[self.indicator == indicator]
        return bool(len(kind)) and (kind[0] == "both" or (kind[0] == "numerator" and w == 0))

    def add_rolling_windows(self) -> None:
        for w, which in enumerate(COMPONENTS):
            cells = np.flatnonzero(self._summed(which))
            months = self._latent(
                w,
                np.repeat(self.area[cells], 12),
                (self.month[cells][:, None] - np.arange(12)).ravel(),
                np.repeat(self.indicator[cells], 12),
            )
            row = np.arange(len(cells))
            matrix, constant, valid = self._rows(
                len(cells), [(row, cells, w, -1.0)], [(np.repeat(row, 12), months, 1.0)]
            )
            self.equalities.append((matrix[valid], -constant[valid]))
            window = np.repeat(self.variable[cells, w], 12)
            fed = (window >= 0) & (months >= 0)
            self.feeds.append((window[fed], months[fed]))
            # A published zero window: none of its months had any.
            zero = valid & (self.variable[cells, w] < 0) & (self.value[cells, w] == 0)
            self.upper[months.reshape(-1, 12)[zero].ravel()] = 0.0

    def add_absent_windows(self, areas: pd.DataFrame) -> None:
        """A window over summed denominators is published only when its denominator is
        above zero (`where denominator > 0` in the indicator models), and only in months
        with 12 delivered months (then some cell of the indicator has that month). So an
        area in `areas` (area_id, first_period, last_period) through all 12 months of such
        a window without a cell of it had none in any of those months: an attacker reads
        the gap as zeros. (Were that wrong, the zeros could only narrow intervals: more
        findings, never fewer.)"""
        both = np.unique(self.indicator[self.windowed & (self.kind == "both")])
        if not len(both) or areas.empty:
            return
        first, last = (
            (lambda p: (p.dt.year * 12 + p.dt.month - 1).to_numpy())(pd.to_datetime(areas[c]))
            for c in ("first_period", "last_period")
        )
        named = areas["area_id"].to_numpy(dtype=object) != MUNICIPALITY
        frames = []
        for indicator in both:
            months = np.unique(self.month[self.indicator == indicator])
            area = np.repeat(areas["area_id"].to_numpy(dtype=object)[named], len(months))
            month = np.tile(months, named.sum())
            valid = (np.repeat(first[named], len(months)) <= month - 11) & (
                month <= np.repeat(last[named], len(months))
            )
            frames.append((area[valid], month[valid], np.full(valid.sum(), indicator)))
        area, month, indicator = (np.concatenate(part) for part in zip(*frames))
        absent = self.cell_index.get_indexer(_keys(area, month, indicator)) < 0
        keys = (
            np.repeat(area[absent], 12),
            (month[absent][:, None] - np.arange(12)).ravel(),
            np.repeat(indicator[absent], 12),
        )
        for w in range(len(COMPONENTS)):
            latent = self._latent(w, *keys)
            self.upper[latent[latent >= 0]] = 0.0

    def add_quantities(self) -> None:
        """The protected quantities: every hidden cell's numerator (and complement, for
        proportions, each at most its denominator), every latent monthly count (and its
        denominator and complement)."""
        hidden = np.flatnonzero(self.suppressed)
        label = self._labels(hidden)
        row = np.arange(len(hidden))
        self._protect(label + " numerator", self._rows(len(hidden), [(row, hidden, 0, 1.0)]))
        shares = hidden[self.unit[hidden] == "pct"]
        label, row = self._labels(shares), np.arange(len(shares))
        share_terms = [(row, shares, 1, 1.0), (row, shares, 0, -1.0)]
        self._non_negative(self._rows(len(shares), share_terms))
        self._protect(label + " complement", self._rows(len(shares), share_terms), bounded=True)

        counts = self.latent[0]
        count = np.arange(len(counts)) + self.latent_start[0]
        self._protect(self._latent_labels(counts) + " count", self._variable_rows(count))
        partner = self._latent(1, *(counts.get_level_values(i) for i in range(3)))
        paired = partner >= 0
        count, partner, counts = count[paired], partner[paired], counts[paired]
        label = self._latent_labels(counts)
        self._protect(label + " denominator count", self._variable_rows(partner))
        pct = (
            pd.Index(counts.get_level_values(2))
            .map(dict(zip(self.indicator, self.unit)))
            .to_numpy()
            == "pct"
        )
        row = np.arange(pct.sum())
        share_terms = [(row, partner[pct], 1.0), (row, count[pct], -1.0)]
        self._non_negative(self._rows(len(row), variable_terms=share_terms))
        self._protect(
            label[pct] + " complement",
            self._rows(len(row), variable_terms=share_terms),
            bounded=True,
        )

    def add_moves(self) -> None:
        """Candidate moves for `_Swaps`, each with the hidden windows it feeds: a hidden
        area cell's component (alone or both components); a monthly count (alone or with
        its denominator); a month's count less the next month's (that changes only two
        windows, a year apart: both hidden where a series publishes quarter-ends only);
        all of an area's months a multiple of 12 apart (every window holds one of each)."""
        moves = []
        for variables, keys in self._monthly_variables():
            area, month, indicator = (keys.get_level_values(i).to_numpy() for i in range(3))
            ones = np.ones(variables.shape[1])
            moves.append((variables, ones))
            residue = pd.factorize(pd.MultiIndex.from_arrays([area, indicator, month % 12]))[0]
            moves.append((variables, ones, residue))
            following = self._later(variables, keys, 1)
            has_next = (following >= 0).all(axis=1)
            moves.append((np.hstack([variables, following])[has_next], np.r_[ones, -ones]))
        cells = np.flatnonzero(self.suppressed & (self.area != MUNICIPALITY))
        for w, which in enumerate(COMPONENTS):
            hidden = (self.variable[cells, w] >= 0) & ~self._summed(which)[cells]
            moves.append((self.variable[cells[hidden], w][:, None], np.ones(1)))
        both = (self.variable[cells] >= 0).all(axis=1) & ~self.windowed[cells]
        moves.append((self.variable[cells[both]], np.ones(2)))
        self._stack_moves(moves)

    def _monthly_variables(self):
        """(variables, keys) of the monthly counts: numerators, denominators, and both
        together where a count has a denominator."""
        numerators = self.latent[0]
        own = np.arange(len(numerators)) + self.latent_start[0]
        partner = self._latent(1, *(numerators.get_level_values(i) for i in range(3)))
        paired = partner >= 0
        denominators = np.arange(len(self.latent[1])) + self.latent_start[1]
        return [
            (own[:, None], numerators),
            (denominators[:, None], self.latent[1]),
            (np.column_stack([own[paired], partner[paired]]), numerators[paired]),
        ]

    def _later(self, variables, keys: pd.MultiIndex, months: int) -> np.ndarray:
        """The same monthly variables `months` later (-1: none)."""
        later = np.full(variables.shape, -1)
        area, month, indicator = (keys.get_level_values(i).to_numpy() for i in range(3))
        for column in range(variables.shape[1]):
            w = int(variables[0, column] >= self.latent_start[1]) if len(variables) else 0
            later[:, column] = self._latent(w, area, month + months, indicator)
        return later

    def _stack_moves(self, moves) -> None:
        """Moves (variables, coefficients[, one move per group]) as the columns of
        `units`, each with the hidden windows its monthly counts feed."""
        variables, coefficients, units = [], [], []
        count = 0
        for members, coefficient, *grouped in moves:
            unit = grouped[0] if grouped else np.arange(len(members))
            variables.append(members.ravel())
            coefficients.append(np.tile(coefficient, len(members)))
            units.append(np.repeat(unit, members.shape[1]) + count)
            count += unit.max() + 1 if len(unit) else 0
        n = len(self.places)
        chosen = sparse.csr_matrix(
            (np.concatenate(coefficients), (np.concatenate(variables), np.concatenate(units))),
            shape=(n, count),
        )
        window, month = (np.concatenate(part) for part in zip(*self.feeds))
        feeding = sparse.csr_matrix((np.ones(len(window)), (window, month)), shape=(n, n))
        self.units = ((sparse.identity(n, format="csr") + feeding) @ chosen).tocsc()

    def _labels(self, cells: np.ndarray) -> np.ndarray:
        return (
            self.indicator[cells] + " " + self.area[cells] + " " + _month_labels(self.month[cells])
        )

    def _latent_labels(self, keys: pd.MultiIndex) -> np.ndarray:
        area, month, indicator = (keys.get_level_values(i).to_numpy() for i in range(3))
        return (
            indicator.astype(object)
            + " "
            + area.astype(object)
            + " "
            + _month_labels(month)
            + " monthly"
        )

    def _variable_rows(self, variables: np.ndarray):
        return self._rows(
            len(variables), variable_terms=[(np.arange(len(variables)), variables, 1.0)]
        )

    def _non_negative(self, rows) -> None:
        """Each row >= 0: a count at most its denominator."""
        matrix, constant, _ = rows
        kept = np.diff(matrix.indptr) > 0
        self.inequalities.append((-matrix[kept], constant[kept]))

    def _protect(self, labels: np.ndarray, rows, bounded=False) -> None:
        """Protect each row; `bounded`: a row also kept >= 0 (`_non_negative`), so never
        negative, as is a row of non-negative terms."""
        # A quantity of published parts only is published itself.
        matrix, constant, _ = rows
        kept = np.diff(matrix.indptr) > 0
        matrix, constant = matrix[kept], constant[kept]
        positive = (np.asarray((matrix < 0).sum(axis=1)).ravel() == 0) & (constant >= 0)
        self.quantities.append((labels[kept], matrix, constant, bounded | positive))

    def system(self) -> _LinearSystem:
        def stacked(parts):
            return sparse.vstack([m for m, _ in parts]).tocsr(), np.concatenate(
                [b for _, b in parts]
            )

        labels, q, q_constant, never_negative = zip(*self.quantities)
        return _LinearSystem(
            self.places,
            self.months,
            *stacked(self.equalities),
            *stacked(self.inequalities),
            self.upper,
            np.concatenate(labels),
            sparse.vstack(q).tocsr(),
            np.concatenate(q_constant),
            self.units,
            np.concatenate(never_negative),
        )


def _highs(matrix, row_lower, row_upper, upper) -> highspy.Highs:
    """An instance of the rows and bounds, its first solve from scratch by the interior
    point (`_optimum` turns it to the simplex for the re-solves)."""
    matrix = matrix.tocsc()
    lp = highspy.HighsLp()
    lp.num_col_ = len(upper)
    lp.num_row_ = matrix.shape[0]
    lp.col_cost_ = np.zeros(len(upper))
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
    highs.setOptionValue("solver", "ipm")
    highs.passModel(lp)
    return highs


# A re-solve starts from the last optimal basis. A new objective keeps it primal feasible,
# so the primal simplex re-solves it (about 15 times faster than starting over). From
# scratch, an interior point method and crossover to a corner is faster than the simplex
# (1.4 s against 3.7 s on a block of 20,000 variables) and exact, unlike the interior
# point alone.
PRIMAL, DUAL = 4, 1


class SolverFailure(RuntimeError):
    """A linear program that no attempt (`RETRIES`) solved to optimality."""


# Tried in turn when a solve ends without an optimum (a city copy once ended the interior
# point and the simplex both with status Unknown): each from scratch, with the options
# changed; the instance's own options come back afterwards, for its warm-started re-solves.
RETRIES = (
    {"solver": "simplex", "simplex_strategy": DUAL},
    {"solver": "simplex", "simplex_strategy": DUAL, "presolve": "on"},
    {"solver": "ipm", "presolve": "on"},
    {"solver": "simplex", "simplex_strategy": PRIMAL, "presolve": "on",
     "simplex_scale_strategy": 0},
)  # fmt: skip


def _run(highs: highspy.Highs) -> highspy.HighsModelStatus:
    """One attempt (a seam for the tests)."""
    highs.run()
    return highs.getModelStatus()


def _optimum(highs: highspy.Highs) -> np.ndarray:
    """An optimal point; later runs of `highs` re-solve from its basis by the primal
    simplex. Raises `SolverFailure` when every retry fails."""
    status = _run(highs)
    attempts = iter(RETRIES)
    while status != highspy.HighsModelStatus.kOptimal:
        options = next(attempts, None)
        if options is None:
            raise SolverFailure(
                f"linear program not solved ({highs.modelStatusToString(status)}) after "
                f"{len(RETRIES)} retries"
            )
        # (getOptionValue answers (status, value).)
        kept = {name: highs.getOptionValue(name)[1] for name in options}
        highs.clearSolver()
        for name, value in options.items():
            highs.setOptionValue(name, value)
        status = _run(highs)
        for name, value in kept.items():
            highs.setOptionValue(name, value)
    highs.setOptionValue("solver", "simplex")
    highs.setOptionValue("simplex_strategy", PRIMAL)
    return np.asarray(highs.getSolution().col_value)


class _Block:
    """A part of the linear system with its quantities, in a HiGHS instance that is
    re-solved from its last optimal basis."""

    def __init__(self, a_eq, b_eq, a_ub, b_ub, upper, quantities, constants):
        self.matrix = sparse.vstack([a_eq, a_ub])
        self.row_lower = np.concatenate([b_eq, np.full(len(b_ub), -INF)])
        self.row_upper = np.concatenate([b_eq, b_ub])
        self.upper = upper
        self.columns = np.arange(len(upper), dtype=np.int32)
        self.quantities, self.constants = quantities, constants
        self.highs = _highs(self.matrix, self.row_lower, self.row_upper, upper)

    def restricted(self, rows) -> _Block:
        """The block for its quantities `rows` only, re-solved from the same instance's
        basis (a new instance would start from scratch: 2-3 s on the city's largest)."""
        part = copy.copy(self)
        part.quantities, part.constants = self.quantities[rows], self.constants[rows]
        return part

    def solve(self, objective: np.ndarray) -> np.ndarray:
        """A point minimising `objective` over the block."""
        self.highs.changeColsCost(len(self.columns), self.columns, objective)
        return _optimum(self.highs)


class _Intervals:
    """The lowest and highest value seen so far for each quantity, from feasible points."""

    def __init__(self, q, q_constant, fixed, protection_level: float, never_negative=None, seed=0):
        self.q, self.q_constant, self.fixed = q, q_constant, fixed
        # Without the model's word, only sums of non-negative terms are never negative.
        if never_negative is None:
            no_minus = np.asarray((q < 0).sum(axis=1)).ravel() == 0
            never_negative = no_minus & (q_constant >= 0)
        self.never_negative = never_negative
        self.level = protection_level
        self.low = np.full(q.shape[0], np.inf)
        self.high = np.full(q.shape[0], -np.inf)
        self.solves = 0
        self.rng = np.random.default_rng(seed)

    def open(self, rows) -> np.ndarray:
        """Whether each quantity's interval is still narrower than the protection level."""
        return (self.high[rows] - self.low[rows] < self.level - TOLERANCE) & ~self.fixed[rows]

    def harvest(self, rows, q_part, point) -> None:
        self.solves += 1
        values = q_part @ point + self.q_constant[rows]
        self.low[rows] = np.minimum(self.low[rows], values)
        self.high[rows] = np.maximum(self.high[rows], values)

    def widen(self, rows, low, high) -> None:
        """Lowest and highest values of quantities `rows` seen at other feasible points."""
        self.low[rows] = np.minimum(self.low[rows], low)
        self.high[rows] = np.maximum(self.high[rows], high)

    def settle_by_sums(self, block: _Block, rows, swaps: _Swaps | None = None, least=2) -> None:
        """Open quantities moved together by one solve at a time, warm-started (a new
        objective only), each point also a start for `swaps`. First, while some are seen
        only at zero and never negative (counts; complements, each kept >= 0 by a row),
        their largest sum: zero makes each a known zero at every feasible point (no
        disclosure); otherwise those it raises leave the set. Then random positive
        weights over all open quantities, each raised (lowered for a random half of
        those that can go lower), while a solve settles at least `least`. Swaps are
        tried until a point's settle nothing."""
        while self.open(rows).any():
            still_open = self.open(rows)
            zero = still_open & (self.high[rows] <= TOLERANCE) & self.never_negative[rows]
            if zero.any():
                weights = zero.astype(float)
            else:
                can_fall = (self.low[rows] > TOLERANCE) | ~self.never_negative[rows]
                sign = np.where(can_fall & (self.rng.random(len(rows)) < 0.5), -1.0, 1.0)
                weights = still_open * sign * self.rng.uniform(0.5, 1.5, len(rows))
            point = block.solve(-np.asarray(block.quantities.T @ weights).ravel())
            self.harvest(rows, block.quantities, point)
            values = block.quantities @ point + block.constants
            proven = zero.any() and values[zero].sum() <= TOLERANCE
            self.fixed[rows[zero]] |= proven
            if swaps:
                before = self.open(rows).sum()
                swaps.certify(block, point, rows, self)
                # Once a point's swaps settle nothing, later sums' points rarely do
                # (city allocation bin: none of its last 150; 3 s of CPU).
                if self.open(rows).sum() == before:
                    swaps = None
            # A sum above zero that raises none past the tolerance would repeat itself.
            stuck = zero.any() and not proven and not (values[zero] > TOLERANCE).any()
            if stuck or (not zero.any() and still_open.sum() - self.open(rows).sum() < least):
                return

    def settle_exactly(self, block: _Block, rows, swaps: _Swaps | None = None) -> None:
        """Each quantity still open gets its own maximum and then, unless that is zero (a
        quantity is never negative), its minimum. Each point found is also a start for
        `swaps` (on a large bin one settles up to several hundred besides its own)."""
        for r in np.flatnonzero(self.open(rows)):
            for sign in (-1, 1):
                if not self.open(rows[r]) or (sign > 0 and self.high[rows[r]] <= TOLERANCE):
                    break
                point = block.solve(sign * self._row(block, r))
                self.harvest(rows, block.quantities, point)
                if swaps:
                    swaps.certify(block, point, rows, self)

    @staticmethod
    def _row(block: _Block, r: int) -> np.ndarray:
        return block.quantities[r].toarray().ravel()


def solve_intervals(
    system: _LinearSystem,
    protection_level: float,
    workers: int | None = None,
    memo: BlockMemo | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> tuple[list[Exposure], list[str], int]:
    """The quantities whose feasible interval is narrower than the protection level, the
    bins a solver failure left unproven, and the number of solves.

    Connected blocks of variables are solved apart (small ones binned together, since a
    solve has a fixed cost): `_settle`, in `workers` processes when the system is large
    (`_map_bins`). A bin whose linear programs fail on every retry fails closed: it is
    named, and none of its open quantities counts as safe. A block the `memo` holds,
    the same system to the last coefficient, takes its intervals from there."""
    if not len(system.labels):
        return [], [], 0
    a_eq, b_eq, a_ub, b_ub = system.a_eq, system.b_eq, system.a_ub, system.b_ub
    upper, q, q_constant = _forced_to_zero(system), system.q, system.q_constant
    # Quantities whose variables are all fixed at zero are known exactly: a disclosure
    # unless that value is zero.
    fixed = np.asarray((abs(q) @ upper) == 0).ravel()
    exposures = [
        Exposure(system.labels[i], q_constant[i], q_constant[i])
        for i in np.flatnonzero(fixed & (q_constant > TOLERANCE))
    ]
    unproven = []
    block = _connected_blocks(sparse.vstack([a_eq, a_ub, q]))
    # A quantity's variables are in one block (its row is part of the graph): its first.
    quantity_block = block[q.indices[q.indptr[:-1]]]
    intervals = _Intervals(q, q_constant, fixed, protection_level, system.never_negative)

    units = system.units.tocsr()
    unit_block = block[units.tocsc().indices[units.tocsc().indptr[:-1]]]

    # Each block's open quantities, in the model's order.
    candidates = np.flatnonzero(~fixed)
    grouped = candidates[np.argsort(quantity_block[candidates], kind="stable")]
    edges = np.searchsorted(quantity_block[grouped], np.arange(block.max() + 2))
    to_solve, remembered = np.unique(quantity_block[~fixed]), []
    if memo is not None:
        keys = _block_keys(
            block,
            [(a_eq, [b_eq]), (a_ub, [b_ub]),
             (q[~fixed], [q_constant[~fixed], system.never_negative[~fixed]])],
            upper,
            memo.salt(protection_level),
        )  # fmt: skip
        remembered = [(b, memo.get(keys[b])) for b in to_solve]
        to_solve = np.array([b for b, found in remembered if found is None], dtype=int)
        remembered = [
            (grouped[edges[b] : edges[b + 1]], found)
            for b, found in remembered
            if found is not None
        ]

    def bins():
        for seed, blocks in enumerate(_bins(block, to_solve, BIN_VARIABLES)):
            members = np.flatnonzero(np.isin(block, blocks))
            rows = np.flatnonzero(np.isin(quantity_block, blocks) & ~fixed)
            eq = _restrict(a_eq, b_eq, members)
            yield rows, _Bin(
                eq, _restrict(a_ub, b_ub, members), upper[members],
                q[rows][:, members].tocsr(), q_constant[rows], system.places[members],
                system.months[members], system.never_negative[rows], fixed[rows],
                units[members][:, np.isin(unit_block, blocks)].tocsc(), protection_level,
                seed,
            )  # fmt: skip

    def settled_bins():
        yield from ((rows, (*found, 0, None)) for rows, found in remembered)
        for rows, result in _map_bins(bins(), workers, pool):
            if memo is not None and result[4] is None:
                for b in np.unique(quantity_block[rows]):
                    part = quantity_block[rows] == b
                    memo.put(keys[b], *(values[part] for values in result[:3]))
            yield rows, result

    if workers is None:
        variables = np.bincount(block)[to_solve].sum()
        workers = WORKERS if variables >= PARALLEL_VARIABLES else 1
    for rows, (low, high, settled, solves, failure) in settled_bins():
        intervals.low[rows], intervals.high[rows], intervals.fixed[rows] = low, high, settled
        intervals.solves += solves
        still_open = rows[intervals.open(rows)]
        if failure is not None:
            indicators = sorted({label.split()[0] for label in system.labels[still_open]})
            unproven.append(
                f"block of {', '.join(indicators)} ({failure[1]} variables): {failure[0]};"
                f" {len(still_open)} hidden quantities not proven safe,"
                f" e.g. {system.labels[still_open[0]]}"
            )
            continue
        exposures += [
            Exposure(system.labels[i], round(intervals.low[i], 6), round(intervals.high[i], 6))
            for i in still_open
            if intervals.high[i] > TOLERANCE
        ]
    return exposures, unproven, intervals.solves


class BlockMemo:
    """The intervals found for each block by the last audit (`path`, a NumPy archive kept
    beside the warehouse: a copy that failed its audit was never published). A block is
    known by a digest of its system (`_block_keys`): the same relations, bounds and
    quantities have the same feasible set, so the feasible points that settled its
    quantities then settle them now, and its exact bounds are the same. A refresh after
    one source's delivery changes the blocks of that source's indicators; the others are
    not solved again. The digest is salted with this module's code, HiGHS's version and
    the protection level, so a change of the auditor starts afresh. An unreadable file
    is solved around (it only costs time) and replaced."""

    def __init__(self, path: Path | None = None):
        self.path = path
        self.stored: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.kept: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
        self.reused = 0
        self.lock = threading.Lock()
        if path is not None and path.exists():
            try:
                with np.load(path, allow_pickle=False) as archive:
                    cut = np.cumsum(archive["lengths"])[:-1]
                    parts = [np.split(archive[name], cut) for name in ("low", "high", "settled")]
                    self.stored = dict(zip(archive["keys"].tolist(), zip(*parts)))
            except Exception:  # noqa: BLE001 - any damage (EOFError, BadZipFile...): solve afresh
                self.stored = {}

    @staticmethod
    def salt(protection_level: float) -> bytes:
        code = Path(__file__).read_bytes() + importlib.metadata.version("highspy").encode()
        return hashlib.sha256(code + repr(protection_level).encode()).digest()

    def get(self, key: str):
        found = self.stored.get(key)
        if found is not None:
            with self.lock:  # two audits at once (`audit_published`)
                self.kept[key] = found
                self.reused += 1
        return found

    def put(self, key: str, low, high, settled) -> None:
        with self.lock:
            self.kept[key] = (low, high, settled)

    def save(self) -> None:
        """Keep the blocks of this audit (read or solved), and only those."""
        if self.path is None:
            return
        keys = list(self.kept)
        parts = [[self.kept[k][i] for k in keys] for i in range(3)]
        staged = self.path.with_name(self.path.name + ".tmp.npz")
        np.savez(
            staged,
            keys=np.array(keys, dtype="U64"),
            lengths=np.array([len(low) for low in parts[0]], dtype=np.int64),
            low=np.concatenate(parts[0]) if keys else np.zeros(0),
            high=np.concatenate(parts[1]) if keys else np.zeros(0),
            settled=np.concatenate(parts[2]) if keys else np.zeros(0, dtype=bool),
        )
        staged.replace(self.path)


def _block_keys(block: np.ndarray, matrices, upper: np.ndarray, salt: bytes) -> list[str]:
    """A digest per block of all that decides its feasible set and quantities: its
    variables' bounds and the rows of `matrices` ((CSR matrix, per-row arrays), each row
    within one block) that touch it, in the model's order, variables numbered within the
    block. Each piece's length is hashed before it, so pieces cannot run together."""
    count = block.max() + 1
    order = np.argsort(block, kind="stable")
    starts = np.searchsorted(block[order], np.arange(count + 1))
    rank = np.empty(len(block), dtype=np.int64)
    rank[order] = np.arange(len(block)) - starts[block[order]]
    pieces = [(upper[order], starts)]
    for matrix, per_row in matrices:
        matrix = matrix.tocsr()
        matrix.sort_indices()
        kept = np.diff(matrix.indptr) > 0
        matrix = matrix[kept]
        row_block = block[matrix.indices[matrix.indptr[:-1]]]
        rows = np.argsort(row_block, kind="stable")
        matrix = matrix[rows]
        row_edges = np.searchsorted(row_block[rows], np.arange(count + 1))
        entry_edges = matrix.indptr[row_edges]
        pieces += [(np.diff(matrix.indptr), row_edges), (rank[matrix.indices], entry_edges),
                   (matrix.data, entry_edges)]  # fmt: skip
        pieces += [(np.asarray(values)[kept][rows], row_edges) for values in per_row]
    keys = []
    for b in range(count):
        digest = hashlib.sha256(salt)
        for values, edges in pieces:
            part = values[edges[b] : edges[b + 1]]
            digest.update(np.int64(len(part)).tobytes() + part.tobytes())
        keys.append(digest.hexdigest())
    return keys


def _connected_blocks(rows: sparse.spmatrix) -> np.ndarray:
    """Each variable's block: variables are connected through the rows they share. The
    graph of rows and variables, not variables alone (whose product of the rows with
    themselves costs seconds at city); blocks numbered in order of their first variable."""
    coo = rows.tocoo()
    m, n = rows.shape
    graph = sparse.csr_matrix((np.ones(len(coo.row)), (coo.row, coo.col + m)), shape=(m + n, m + n))
    _, label = connected_components(graph, directed=False)
    _, first, block = np.unique(label[m:], return_index=True, return_inverse=True)
    rank = np.empty(len(first), dtype=int)
    rank[np.argsort(first)] = np.arange(len(first))
    return rank[block]


# The publish step runs alone on a 2-core machine: a large system's bins are solved in two
# processes (city, measured only on a loaded machine: 83 s against 90 s wall at load 6-7).
# Below PARALLEL_VARIABLES starting them (imports, about 1-5 s of CPU each) costs more
# than they save.
WORKERS = 2
PARALLEL_VARIABLES = 50_000


@dataclass
class _Bin:
    """One bin of blocks, all a process needs to settle its quantities: its rows and
    bounds, its quantities, the variables' areas and months (`_starts`), the quantities
    never negative and those already fixed, its swap moves, and a seed of its own (the
    random weights do not depend on which process or order solved the bins)."""

    eq: tuple[sparse.csr_matrix, np.ndarray]
    ub: tuple[sparse.csr_matrix, np.ndarray]
    upper: np.ndarray
    quantities: sparse.csr_matrix
    constants: np.ndarray
    places: np.ndarray
    months: np.ndarray
    never_negative: np.ndarray
    fixed: np.ndarray
    units: sparse.csc_matrix
    level: float
    seed: int


def _map_bins(bins, workers: int, pool: ProcessPoolExecutor | None = None):
    """(rows, `_settle` of the bin) in the bins' order; with `workers` > 1 solved in that
    many processes (`pool`'s, if given), the largest bins first (the longest one then
    sets the time)."""
    if workers <= 1:
        for rows, job in bins:
            with _IN_PROCESS:
                settled = _settle(job)
            yield rows, settled
        return
    if pool is None:
        with _processes(workers) as pool:
            yield from _solved_by(pool, bins)
    else:
        yield from _solved_by(pool, bins)


def _solved_by(pool: ProcessPoolExecutor, bins):
    jobs = list(bins)
    order = sorted(range(len(jobs)), key=lambda i: -len(jobs[i][1].upper))
    futures = {i: pool.submit(_settle, jobs[i][1]) for i in order}
    for i, (rows, _) in enumerate(jobs):
        yield rows, futures.pop(i).result()
        jobs[i] = None  # free the bin's matrices once settled


# One solve at a time in this process, whichever audit's thread asks (`audit_published`):
# HiGHS instances are not documented as safe side by side in one process.
_IN_PROCESS = threading.Lock()


def _processes(workers: int = WORKERS) -> ProcessPoolExecutor:
    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))


def _settle(job: _Bin):
    """A bin's (low, high, fixed, solves, failure): the lowest and highest values seen of
    its quantities, which are fixed (proven zero), the solves made, and (message, bin
    variables) if a solver failure stopped it (`_settle_bin`)."""
    intervals = _Intervals(job.quantities, job.constants, job.fixed.copy(), job.level,
                           job.never_negative, seed=job.seed)  # fmt: skip
    swaps = _Swaps(job.units, job.eq[0])
    failure = None
    try:
        _settle_bin(job, swaps, intervals)
    except SolverFailure as error:
        failure = (str(error), len(job.upper))
    return intervals.low, intervals.high, intervals.fixed, intervals.solves, failure


def _settle_bin(job: _Bin, swaps, intervals: _Intervals) -> None:
    """Settle a bin's quantities: from its starting points (`_starts`), each also a start
    for swaps (`_Swaps`); then the open quantities moved together, warm-started
    (`_Intervals.settle_by_sums`); whatever is still narrower than the protection level
    gets its own exact maximum and minimum on the whole bin."""
    rows = np.arange(len(job.constants))
    # Each start re-solved from the last one's basis (four starts of city rehab completion:
    # 4 s instead of 12 s of CPU), as are the sums and exact solves after them.
    whole = _Block(*job.eq, *job.ub, job.upper, job.quantities, job.constants)
    for objective in _starts(job.places, job.months):
        point = whole.solve(objective)
        intervals.harvest(rows, whole.quantities, point)
        swaps.certify(whole, point, rows, intervals)
    still_open = rows[intervals.open(rows)]
    if not len(still_open):
        return
    rest = whole.restricted(still_open)
    intervals.settle_by_sums(rest, still_open, swaps)
    intervals.settle_exactly(rest, still_open, swaps)


class _Swaps:
    """Certificates without a solve: from a feasible point, add one candidate move
    (`_Model.add_moves`) and take away another that changes the equalities alike, each by
    the protection level: the equalities hold, and every pair is checked against all the
    block's rows and bounds before it counts. A pair that passes is a second feasible
    point, and every quantity it moves by the protection level or more is settled."""

    def __init__(self, units: sparse.csc_matrix, a_eq: sparse.csr_matrix):
        self.units = units
        # Moves alike: the same change of every equality (a hash collision only makes
        # a pair that the check then refuses).
        change = (a_eq @ units).tocsc()
        change.eliminate_zeros()
        change.sort_indices()
        ends = zip(change.indptr[:-1], change.indptr[1:])
        self.unit_class = pd.factorize(
            np.array(
                [hash((change.indices[a:b].tobytes(), change.data[a:b].tobytes())) for a, b in ends]
            )
        )[0]

    def certify(self, block: _Block, point: np.ndarray, rows, intervals: _Intervals) -> None:
        if not self.units.shape[1]:
            return
        level = intervals.level
        activity = block.matrix @ point
        up, down = self._room(block, point, activity, 1), self._room(block, point, activity, -1)
        giver, taker = self._partners(down), self._partners(up)
        rise = np.flatnonzero((up >= level) & (giver >= 0) & (down[giver] >= level))
        fall = np.flatnonzero((down >= level) & (taker >= 0) & (up[taker] >= level))
        added, taken = np.concatenate([rise, taker[fall]]), np.concatenate([giver[rise], fall])
        pairs = np.arange(len(added))
        choice = sparse.csc_matrix(
            (
                np.repeat([level, -level], len(pairs)),
                (np.concatenate([added, taken]), np.concatenate([pairs, pairs])),
            ),
            shape=(self.units.shape[1], len(pairs)),
        )
        change = (self.units @ choice).tocsc()
        feasible = self._feasible(block, point, activity, change)
        if not feasible.any():
            return
        moved = (block.quantities @ change[:, feasible]).tocsr()
        base = block.quantities @ point + block.constants
        intervals.widen(
            rows,
            base + moved.min(axis=1).toarray().ravel(),
            base + moved.max(axis=1).toarray().ravel(),
        )

    def _room(self, block: _Block, point, activity, sign: int) -> np.ndarray:
        """How far each move can go (`sign` 1: added, -1: taken away) before a bound or
        an inequality binds; the equalities only a pair can keep."""
        units = sign * self.units
        ratio = np.where(
            units.data > 0,
            (block.upper[units.indices] - point[units.indices]) / units.data,
            point[units.indices] / -units.data,
        )
        room = _column_min(units, ratio)
        inequality = np.isinf(block.row_lower)
        rows = (block.matrix.tocsr()[inequality] @ units).tocsc()
        slack = (block.row_upper - activity)[inequality][rows.indices]
        room = np.minimum(
            room, _column_min(rows, np.where(rows.data > 0, slack / rows.data, np.inf))
        )
        return np.maximum(room, 0.0)

    def _partners(self, room: np.ndarray) -> np.ndarray:
        """For each move, the other move of its class with the most room (-1: none)."""
        order = np.lexsort((-room, self.unit_class))
        classes = self.unit_class[order]
        start = np.flatnonzero(np.r_[True, classes[1:] != classes[:-1]])
        best = np.full(len(room), -1)
        second = best.copy()
        best[classes[start]] = order[start]
        pair = np.diff(np.r_[start, len(order)]) > 1
        second[classes[start[pair]]] = order[start[pair] + 1]
        partner = best[self.unit_class]
        mine = partner == np.arange(len(partner))
        partner[mine] = second[self.unit_class[mine]]
        return partner

    @staticmethod
    def _feasible(block: _Block, point, activity, change: sparse.csc_matrix) -> np.ndarray:
        """Whether `point` plus each column of `change` keeps every row and bound."""
        rows = (block.matrix @ change).tocsc()
        value = activity[rows.indices] + rows.data
        broken = (value < block.row_lower[rows.indices] - TOLERANCE) | (
            value > block.row_upper[rows.indices] + TOLERANCE
        )
        moved = point[change.indices] + change.data
        outside = (moved < -TOLERANCE) | (moved > block.upper[change.indices] + TOLERANCE)
        return (_column_min(rows, ~broken) > 0) & (_column_min(change, ~outside) > 0)


def _column_min(matrix: sparse.csc_matrix, values: np.ndarray) -> np.ndarray:
    """The smallest of `values` (one per stored entry) in each column (inf: none)."""
    result = np.full(matrix.shape[1], np.inf)
    starts = matrix.indptr[:-1][np.diff(matrix.indptr) > 0]
    if len(starts):
        result[np.diff(matrix.indptr) > 0] = np.minimum.reduceat(values.astype(float), starts)
    return result


def _starts(
    places: np.ndarray, months: np.ndarray, areas: int = 2, calendar_months=(0, 2, 4, 6, 8, 10)
):
    """Objectives of a bin's first solver points, each re-solved from the last one's basis.
    One point per calendar month of `calendar_months` (0: January), holding
    all it can in that month of every year, which every 12-month window holds once, to give
    to the area's other months: that month's quantities are settled between its point and
    the others, and a swap (`_Swaps`) settles other months' against it. Every other month,
    not two a year: the city's six rolling-window bins took 25 s of CPU instead of 37 s,
    with fewer quantities left for the sums. Then one point per area of the `areas` with
    the most variables, each holding as much as it can in that area: every other area is
    then at its least, and the chosen area has each month's total to give, so a swap
    settles another area's quantity against it. (Spread evenly, a rare event's monthly
    total leaves every area too little to give.) The same for every bin: a small one
    (city: the stock series, five areas to a bin) took half the CPU with these points
    that it took with one point and then rounds moving every open quantity at once in
    instances of their own (5 s against 11 s)."""
    for month in calendar_months:
        if (held := months % 12 == month).any():  # none: the last point again
            yield -held.astype(float)
    names, counts = np.unique(places[places != MUNICIPALITY], return_counts=True)
    for area in names[np.argsort(-counts, kind="stable")[:areas]]:
        yield -(places == area).astype(float)


def _forced_to_zero(system: _LinearSystem) -> np.ndarray:
    """The upper bounds, with every variable fixed at zero that a row forces there: a sum
    with one sign equal to zero (a published zero total or window) or at most zero (a
    count within a zero denominator), over variables that are not yet fixed."""
    upper = system.upper.copy()
    zero_eq = np.abs(system.b_eq) <= 1e-9
    zero_ub = system.b_ub <= 1e-9
    rows = sparse.vstack(
        [system.a_eq[zero_eq], -system.a_eq[zero_eq], system.a_ub[zero_ub]]
    ).tocsr()
    negative, touched = (rows < 0).astype(float), (rows != 0).astype(float)
    while True:
        free = (upper > 0).astype(float)
        one_sign = (negative @ free) == 0
        forced = (touched[one_sign].T @ np.ones(one_sign.sum()) > 0) & (upper > 0)
        if not forced.any():
            return upper
        upper[forced] = 0.0


def _bins(block: np.ndarray, blocks: np.ndarray, size: int):
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
    areas: pd.DataFrame | None = None,
    flows: pd.DataFrame | None = None,
    every_stock_series: bool = False,
    memo: BlockMemo | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> AuditReport:
    """Audit published fact cells (area_id, period, indicator_id, numerator, denominator,
    suppressed) against the catalogue (indicator_id, unit, rolling_window), the shared
    component relations (relation_id, indicator_id, component, coefficient), the areas'
    months (area_id, first_period, last_period: `_Model.add_absent_windows`) and the stock
    and flows (relation_id, indicator_id, component, role: `_Model.add_stock_flows`)."""
    started = time.perf_counter()
    model = _Model(cells, catalogue)
    model.add_totals()
    model.add_shared_components(relations)
    if flows is not None:
        model.add_stock_flows(flows, every_stock_series)
    model.add_rolling_windows()
    if areas is not None:
        model.add_absent_windows(areas)
    model.add_quantities()
    model.add_moves()
    system = model.system()
    report = AuditReport(protection_level=protection_level)
    report.inconsistencies = model.inconsistencies
    report.hidden_quantities = len(system.labels)
    report.exposures, report.unproven, report.exactly_solved = solve_intervals(
        system, protection_level, memo=memo, pool=pool
    )
    report.seconds = time.perf_counter() - started
    return report


def audit_stock_series(
    cells: pd.DataFrame,
    catalogue: pd.DataFrame,
    relations: pd.DataFrame,
    protection_level: float,
    areas: pd.DataFrame | None,
    flows: pd.DataFrame,
    memo: BlockMemo | None = None,
    pool: ProcessPoolExecutor | None = None,
) -> AuditReport:
    """The stock rows of every series, those hidden in every month included, on the areas'
    cells of the stocks and their flows alone (no municipality, no other indicator): each
    area is then a small block of its own. A part of what an attacker holds, so what it
    exposes is exposed. It finds what the dwellings pin: a new block of 20 dwellings, all
    vacant in one month and all let within the year, had 20 vacant."""
    named = flows["indicator_id"].unique()
    part = cells[cells["indicator_id"].isin(named) & (cells["area_id"] != MUNICIPALITY)]
    return audit(part, catalogue, relations, protection_level, areas, flows, True, memo, pool)


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
            f"kvarterprofil {indicator} {a} {pd.Timestamp(p):%Y-%m} shows a hidden cell"
            for a, p in rows
        ]
    return found


def _signal_checks(con) -> list[str]:
    """A published signal state names a series whose cells of the months it names (its
    month and the episode's start) are published."""
    rows = con.execute("""
        with named as (
            select area_id, indicator_id, period as month from signals
            union all
            select area_id, indicator_id, episode_start from signals
            where episode_start is not null
        )
        select distinct n.area_id, n.indicator_id, n.month from named as n
        left join fct_area_indicator_month as f
            on f.area_id = n.area_id and f.indicator_id = n.indicator_id
            and f.period = n.month
        where f.suppressed is null or f.suppressed
        order by 1, 2, 3
    """).fetchall()
    return [
        f"signal {indicator} {area} {pd.Timestamp(period):%Y-%m} shows a hidden cell"
        for area, indicator, period in rows
    ]


# What the published episodes may say: which series, its state and months. A new column
# (a rate, a score, who silenced it) is a finding until the auditor is taught about it.
_EPISODE_COLUMNS = {
    "alert_episodes": {"episode_id", "area_id", "indicator_id", "state", "start_month",
                       "onset_month", "end_month"},
    "alert_transitions": {"step", "episode_id", "month", "from_state", "to_state"},
}  # fmt: skip
# Every published table, and how it is audited: the fact by the linear programs, the
# derived tables by the checks above and below; the rest hold no cell values.
AUDITED_TABLES = {
    "fct_area_indicator_month", "statutory_criteria", "kvarterprofil", "signals",
    *_EPISODE_COLUMNS, "dim_area", "area_geometry", "dim_housing_department",
    "indicator_catalogue", "disclosure_rules", "disclosure_relations",
    "disclosure_stock_flows", "remembered_cells", "statutory_thresholds",
}  # fmt: skip


def _tables(con) -> set[str]:
    return {
        t for (t,) in con.execute("select table_name from information_schema.tables").fetchall()
    }


def _cells(con) -> str:
    """SQL of the copy's cells and those it remembers from earlier copies (none in a copy
    from before the twenty-sixth session)."""
    cells = "select area_id, indicator_id, period, suppressed from fct_area_indicator_month"
    if "remembered_cells" in _tables(con):
        cells += " union all select area_id, indicator_id, period, suppressed from remembered_cells"
    return cells


def _episode_checks(con) -> list[str]:
    """The episodes show only their allowed columns, and no month they name (start,
    onset, end, each transition) is a hidden cell of their series, held or remembered (a
    month without a cell, as a quarterly series' other months, holds nothing hidden)."""
    found = []
    for table, allowed in _EPISODE_COLUMNS.items():
        columns = {
            c for (c,) in con.execute(
                "select column_name from information_schema.columns where table_name = ?",
                [table],
            ).fetchall()
        }  # fmt: skip
        found += [f"{table} publishes column {c}" for c in sorted(columns - allowed)]
    rows = con.execute(f"""
        with named as (
            select episode_id, start_month as month from alert_episodes
            union all
            select episode_id, end_month from alert_episodes where end_month is not null
            union all
            select episode_id, onset_month from alert_episodes where onset_month is not null
            union all
            select episode_id, month from alert_transitions
        )
        select distinct n.episode_id, n.month, e.area_id is null from named as n
        left join alert_episodes as e on n.episode_id = e.episode_id
        left join ({_cells(con)}) as f
            on f.area_id = e.area_id and f.indicator_id = e.indicator_id and f.period = n.month
        where f.suppressed or e.area_id is null
        order by n.episode_id, n.month
    """).fetchall()
    return found + [
        f"episode {episode} {pd.Timestamp(month):%Y-%m} "
        + ("is not a published episode" if orphan else "shows a hidden cell")
        for episode, month, orphan in rows
    ]


_REMEMBERED_COLUMNS = {
    "area_id", "period", "indicator_id", "numerator", "denominator", "suppressed"
}  # fmt: skip


def _remembered_checks(con) -> list[str]:
    """The cells a copy carries from earlier ones (quality/disclosure_memory.py): their
    columns only, none it holds, and no value for a hidden one. The shown ones' values
    earlier copies published, which this copy cannot prove: the publish step copies them
    from the live copy."""
    if "remembered_cells" not in _tables(con):  # a copy from before the twenty-sixth session
        return []
    columns = {
        c for (c,) in con.execute(
            "select column_name from information_schema.columns where table_name = ?",
            ["remembered_cells"],
        ).fetchall()
    }  # fmt: skip
    extra = sorted(columns - _REMEMBERED_COLUMNS)
    found = [f"remembered_cells publishes column {c}" for c in extra]
    rows = con.execute("""
        select r.indicator_id, r.area_id, r.period, f.area_id is not null
        from remembered_cells as r
        left join fct_area_indicator_month as f
            on f.area_id = r.area_id and f.period = r.period and f.indicator_id = r.indicator_id
        where f.area_id is not null
            or (r.suppressed and (r.numerator is not null or r.denominator is not null))
        order by 1, 2, 3
    """).fetchall()
    return found + [
        f"remembered cell {i} {a} {pd.Timestamp(p):%Y-%m} "
        + ("is a cell the copy holds" if held else "is hidden with a value")
        for i, a, p, held in rows
    ]


def _unaudited_tables(con) -> list[str]:
    unaudited = sorted(_tables(con) - AUDITED_TABLES)
    return [f"table {t} is published but not audited" for t in unaudited]


def audit_published(path: Path | str, memo: Path | None = None) -> AuditReport:
    """Audit a published copy, reading nothing but that file (and the last audit's
    intervals from `memo`, where given: `BlockMemo`)."""
    # In one order whatever order the copy stores its rows in: the model numbers its
    # variables in this order, and the memo knows a block by its numbered system.
    with duckdb.connect(str(path), read_only=True) as con:
        cells = con.execute(
            "select area_id, period, indicator_id, numerator, denominator, suppressed"
            " from fct_area_indicator_month order by 1, 2, 3"
        ).df()
        catalogue = con.execute(
            "select indicator_id, unit, rolling_window from indicator_catalogue order by 1"
        ).df()
        relations = con.execute(
            "select relation_id, indicator_id, component, coefficient"
            " from disclosure_relations order by 1, 2, 3"
        ).df()
        flows = con.execute(
            "select relation_id, indicator_id, component, role"
            " from disclosure_stock_flows order by 1, 2, 3"
        ).df()
        areas = con.execute(
            "select area_id, first_period, last_period from dim_area order by 1"
        ).df()
        protection = con.execute("select protection_level from disclosure_rules").fetchone()[0]
        derived = (
            statutory_checks(con, _tables(con))
            + _profile_checks(con)
            + _signal_checks(con)
            + _episode_checks(con)
            + _remembered_checks(con)
            + _unaudited_tables(con)
        )
    # The two audits at once, their bins in one pool: the stock series' small bins fill
    # the time a worker would wait while the other ends the whole copy's largest.
    started, blocks = time.perf_counter(), BlockMemo(memo)
    arguments = (cells, catalogue, relations, float(protection), areas, flows)
    with _processes() as pool, ThreadPoolExecutor(2) as threads:
        whole = threads.submit(audit, *arguments, memo=blocks, pool=pool)
        stocks = threads.submit(audit_stock_series, *arguments, memo=blocks, pool=pool)
        report, stocks = whole.result(), stocks.result()
    blocks.save()
    report.blocks_reused = blocks.reused
    known = {e.quantity for e in report.exposures}
    report.exposures += [e for e in stocks.exposures if e.quantity not in known]
    report.unproven += stocks.unproven
    report.exactly_solved += stocks.exactly_solved
    report.seconds = time.perf_counter() - started
    report.inconsistencies += derived
    return report
