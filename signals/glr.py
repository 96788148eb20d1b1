"""Sequential and single-month tests of the guard months against their expected counts.

GLR: for every possible start tau of a shift inside the guard months, the quasi-Poisson
generalised likelihood ratio of "the counts from tau to now are kappa times the expected"
against kappa = 1, with kappa estimated (Y / M):

    Lambda_tau = (Y log(Y / M) - (Y - M)) / phi,    r_tau = sign(Y - M) sqrt(2 Lambda_tau)

The statistic is the largest r_tau in the direction of deterioration, and its tau is the
estimated start of the shift. Two corrections keep it honest: the expected count is itself
estimated (its variance widens the test), and months are not independent where an
indicator is a stock or a rolling sum: a sum of L months has variance L (1 + (2/L)
sum_k (L - k) rho_k) times a month's, with rho_k the residual autocorrelation pooled over
the series of a group (the areas of one indicator), as in a Newey-West variance. Summing
evidence over months finds sustained moderate shifts a single-month test misses (the
CUSUM/GLR family); the alarm threshold on it is calibrated by simulation
(benchmarks/signals/run.py) to a stated in-control run length.

Spike: the last month alone against its negative-binomial predictive distribution.
"""

from dataclasses import dataclass

import numpy as np
from scipy import stats

from signals.expected import GUARD_MONTHS, MIN_FIT_MONTHS, expected_counts

ROLLING_WINDOW = 12  # months in a rolling series' sum (the catalogue's rolling indicators)


@dataclass
class Scan:
    """Per series, at one evaluation month."""

    evaluable: np.ndarray  # fitted history and an observation in the evaluation month
    score: np.ndarray  # largest GLR signed root towards deterioration
    start: np.ndarray  # column of the estimated shift start
    observed: np.ndarray  # count from the start to now
    expected: np.ndarray  # expected count over the same months
    events: np.ndarray  # the observed count as independent events (over the inflation)
    expected_events: np.ndarray  # the same for the expected count
    denominator: np.ndarray  # denominator over the same months
    p_value: np.ndarray  # one-sided, Bonferroni over the possible starts
    spike_p: np.ndarray  # one-sided predictive p-value of the last month
    last_observed: np.ndarray  # count of the last month
    last_expected: np.ndarray  # its expected count
    level: np.ndarray  # mean expected count per month over the guard months
    phi: np.ndarray
    slope: np.ndarray
    autocorrelation: np.ndarray  # (series, GUARD_MONTHS - 1) as used, lags 1, 2, ...


def _signed_root(observed, expected, phi):
    ratio = np.where(observed > 0, observed / expected, 1.0)
    lam = np.where(observed > 0, observed * np.log(ratio), 0.0) - (observed - expected)
    return np.sign(observed - expected) * np.sqrt(np.maximum(2 * lam / phi, 0.0))


def spike_p_value(y, mu, phi, sign):
    """P(a count at least as bad as y) under NB with mean mu and variance phi * mu."""
    y = np.round(y)
    size = mu / np.maximum(phi - 1, 1e-9)
    prob = size / (size + mu)
    poisson = phi <= 1 + 1e-9
    upper = np.where(poisson, stats.poisson.sf(y - 1, mu), stats.nbinom.sf(y - 1, size, prob))
    lower = np.where(poisson, stats.poisson.cdf(y, mu), stats.nbinom.cdf(y, size, prob))
    return np.where(sign > 0, upper, lower)


def pooled_autocorrelation(acf: np.ndarray, fitted: np.ndarray, groups) -> np.ndarray:
    """Each series gets its group's median residual autocorrelation (robust to the few
    deteriorating series), within [0, 0.95]."""
    pooled = acf.copy()
    if groups is not None:
        for group in np.unique(groups):
            rows = groups == group
            use = rows & fitted
            pooled[rows] = np.median(acf[use], axis=0) if use.any() else 0.0
    return np.clip(pooled, 0.0, 0.95)


def rolling_floor(acf: np.ndarray, rolling: np.ndarray) -> np.ndarray:
    """At least the autocorrelation a rolling ROLLING_WINDOW-month sum of independent
    months has by construction, (W - k) / W at lag k, for the rolling series: estimated
    from residuals of a short fit it comes out far lower (lag 1 about 0.55 against 0.92),
    so a few events summed month after month counted as many independent ones (signal
    audit of the twenty-third session: alarms on 3 evictions in a year, and early false
    alarms)."""
    lags = np.arange(1, acf.shape[1] + 1)
    floor = np.clip((ROLLING_WINDOW - lags) / ROLLING_WINDOW, 0.0, 0.95)
    return np.where(rolling[:, None], np.maximum(acf, floor), acf)


def sum_inflation(acf: np.ndarray) -> np.ndarray:
    """(series, GUARD_MONTHS): variance of a sum from each guard month to the last over
    that of as many independent months."""
    lags = acf.shape[1]
    out = np.ones((len(acf), lags + 1))
    for length in range(2, lags + 2):
        k = np.arange(1, length)
        out[:, lags + 1 - length] = 1 + 2 / length * (acf[:, : length - 1] * (length - k)).sum(1)
    return out


def scan(
    y: np.ndarray,
    d: np.ndarray,
    end: int,
    calendar: np.ndarray,
    sign: np.ndarray,
    groups: np.ndarray | None = None,
    autocorrelation: np.ndarray | None = None,
    min_months: np.ndarray | int = MIN_FIT_MONTHS,
    rolling: np.ndarray | None = None,
) -> Scan:
    """Score every series (rows of y, d) at column `end`; sign +1: higher is worse.

    Autocorrelation is pooled within `groups` (an indicator per row), at least that of a
    rolling sum where `rolling` (`rolling_floor`), or taken as given; `min_months`: the
    history a series needs (`expected_counts`).
    """
    model = expected_counts(y, d, end, calendar, min_months)
    if autocorrelation is None:
        autocorrelation = pooled_autocorrelation(model.autocorrelation, model.fitted, groups)
        if rolling is not None:
            autocorrelation = rolling_floor(autocorrelation, rolling)
    guard = slice(end - GUARD_MONTHS + 1, end + 1)
    yg, dg, mu = y[:, guard], d[:, guard], model.mu
    seen = ~np.isnan(yg) & ~np.isnan(mu)
    yg0, mu0, dg0 = (np.where(seen, a, 0.0) for a in (yg, mu, dg))
    # Sums from each possible start to the evaluation month (reverse cumulative sums).
    Y, M, D = (np.cumsum(a[:, ::-1], axis=1)[:, ::-1] for a in (yg0, mu0, dg0))
    roots = sign[:, None] * _signed_root(Y, np.maximum(M, 1e-12), model.phi[:, None])
    # The expected count is itself estimated: widen by its variance (Farrington's
    # prediction interval), most for trends extrapolated from short histories.
    inflation = sum_inflation(autocorrelation)
    noise = model.phi[:, None] * M * inflation
    roots *= np.sqrt(model.phi[:, None] * M / np.maximum(noise + model.segment_var, 1e-12))
    # A shift starts in a month with data: a month without (no school in July) ties with
    # the month after it and would otherwise be named as the onset.
    roots = np.where((M > 0) & seen, roots, -np.inf)
    best = np.argmax(roots, axis=1)
    rows = np.arange(len(best))
    score = roots[rows, best]
    evaluable = model.fitted & seen[:, -1] & np.isfinite(score)
    score = np.where(evaluable, score, np.nan)
    p_value = np.minimum(1.0, GUARD_MONTHS * stats.norm.sf(score))
    spike = spike_p_value(yg0[:, -1], np.maximum(mu0[:, -1], 1e-12), model.phi, sign)
    return Scan(
        evaluable=evaluable,
        score=score,
        start=end - GUARD_MONTHS + 1 + best,
        observed=Y[rows, best],
        expected=M[rows, best],
        # A rolling 12-month count sums the same events month after month.
        events=Y[rows, best] / inflation[rows, best],
        expected_events=M[rows, best] / inflation[rows, best],
        denominator=D[rows, best],
        p_value=np.where(evaluable, p_value, np.nan),
        spike_p=np.where(evaluable, spike, np.nan),
        last_observed=yg0[:, -1],
        last_expected=mu0[:, -1],
        level=M[:, 0] / np.maximum(seen.sum(axis=1), 1),
        phi=model.phi,
        slope=model.slope,
        autocorrelation=autocorrelation,
    )
