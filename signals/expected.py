"""Expected counts per series: a Farrington-flexible style quasi-Poisson model, fitted for
many series at once.

Every series is a row of a (series x month) matrix of counts `y` and denominators `d`
(NaN where a month is missing). For an evaluation month the model is fitted on up to
`FIT_MONTHS` months that end `GUARD_MONTHS` before it, so a young deterioration is not
part of its own baseline, and predicts the guard months:

    log E[y_t] = log d_t + b0 [+ b1 * years] [+ one yearly harmonic]

- The harmonic needs two years of history; the trend is kept only where it is
  significant (|t| > 1.96 under the quasi-Poisson scale), as in Noufaily et al. (2013).
- Past outliers are down-weighted: months whose Anscombe residual exceeds 2.58 get weight
  residual^-2 and the model is refitted (Farrington-flexible).
- Overdispersion phi = Pearson chi-square / (n - p) over all observed months (the
  down-weighted ones too: their noise is what the coming months carry), never below 1.
- Autocorrelation of the Pearson residuals at lags 1-5: stock indicators (people on a
  benefit) and rolling 12-month sums carry one month's noise into the next, and a test
  that sums months must know it (signals/glr.py).

The fit is iteratively reweighted least squares vectorised over all series (one small
p x p system per series), so a national portfolio fits in seconds.
"""

from dataclasses import dataclass

import numpy as np

FIT_MONTHS = 60
GUARD_MONTHS = 6
MIN_FIT_MONTHS = 12
# A rolling 12-month series' first year of history holds about one year's independent
# news: fitted on it, half the alarms on series without a change came in the first three
# months they could be judged (twentieth session's signal audit, three null municipalities
# at `small`: 10.5 alarm episodes per 100 series-years there against 0.8 later); with two
# years the early ones were gone and the later rate unchanged.
ROLLING_MIN_FIT_MONTHS = 24
SEASON_MIN_MONTHS = 24
# The first column a series can be evaluated at: a minimal history, then the guard months.
FIRST_EVALUABLE = MIN_FIT_MONTHS + GUARD_MONTHS - 1
OUTLIER_RESIDUAL = 2.58
IRLS_STEPS = 8
# Keep the trend where significant: looser (|t| > 1) or always gave more false alarms
# at the same detection in the benchmark (benchmarks/signals/README.md).
TREND_T = 1.96


@dataclass
class Expected:
    """Per series: expected counts of the guard months and the model behind them."""

    mu: np.ndarray  # (series, GUARD_MONTHS) expected counts, NaN where not observed
    segment_var: np.ndarray  # (series, GUARD_MONTHS) estimation variance of the expected
    # count summed from each guard month to the last (observed months only)
    phi: np.ndarray  # (series,) overdispersion
    autocorrelation: np.ndarray  # (series, GUARD_MONTHS - 1) residuals' lags 1, 2, ...
    fitted: np.ndarray  # (series,) True where the history sufficed
    slope: np.ndarray  # (series,) trend in log rate per year (0 when not kept)


def _design(months: np.ndarray, calendar: np.ndarray, trend: bool, season: bool) -> np.ndarray:
    columns = [np.ones(len(months))]
    if trend:
        columns.append(months / 12.0)
    if season:
        angle = 2 * np.pi * calendar / 12.0
        columns += [np.sin(angle), np.cos(angle)]
    return np.column_stack(columns)


def _irls(y, d, w, X):
    """Weighted Poisson log-linear fits with offset log d, one per row; returns beta."""
    rate = np.nansum(w * y, axis=1) / np.maximum(np.nansum(w * d, axis=1), 1e-12)
    beta = np.zeros((y.shape[0], X.shape[1]))
    beta[:, 0] = np.log(np.maximum(rate, 1e-9))
    offset = np.log(np.where(d > 0, d, 1.0))
    ridge = 1e-8 * np.eye(X.shape[1])
    for _ in range(IRLS_STEPS):
        eta = np.clip(beta @ X.T + offset, -30, 30)
        mu = np.exp(eta)
        z = eta - offset + (y - mu) / mu
        weights = w * mu
        A = np.einsum("sn,np,nq->spq", weights, X, X) + ridge
        b = np.einsum("sn,np->sp", weights * z, X)
        beta = np.linalg.solve(A, b[..., None])[..., 0]
    return beta


def _fit(y, d, observed, X):
    """Fit, down-weight outliers, refit; returns beta, phi, cov(beta), t-statistics."""
    n_params = X.shape[1]
    w = observed.astype(float)
    beta = _irls(y, d, w, X)
    for refit in range(2):
        mu = d * np.exp(beta @ X.T)
        n = observed.sum(axis=1)
        # Dispersion from every observed month: the down-weighted outliers are part of
        # the noise a future month carries too.
        pearson = np.where(observed, (y - mu) ** 2 / mu, 0.0).sum(axis=1)
        phi = np.maximum(pearson / np.maximum(n - n_params, 1), 1.0)
        if refit == 1:
            break
        anscombe = 1.5 * (np.cbrt(y) ** 2 - np.cbrt(mu) ** 2) / (
            mu ** (1 / 6) * np.sqrt(phi)[:, None]
        )
        outlier = observed & (np.abs(anscombe) > OUTLIER_RESIDUAL)
        w = np.where(outlier, 1.0 / np.maximum(anscombe**2, 1e-12), observed.astype(float))
        # Scale the weights back to the number of observed months (Farrington).
        w *= (n / np.maximum(w.sum(axis=1), 1e-12))[:, None]
        beta = _irls(y, d, w, X)
    information = np.einsum("sn,np,nq->spq", w * mu, X, X) + 1e-8 * np.eye(n_params)
    cov = phi[:, None, None] * np.linalg.inv(information)
    se = np.sqrt(np.diagonal(cov, axis1=1, axis2=2))
    return beta, phi, cov, beta / se


def _segment_variance(mu: np.ndarray, X: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """Variance of the estimated expected count summed from each guard month to the last
    (delta method: gradient sum(mu_t x_t) through the covariance of beta)."""
    gradient = np.cumsum((mu[:, :, None] * X[None, :, :])[:, ::-1], axis=1)[:, ::-1]
    return np.einsum("sgp,spq,sgq->sg", gradient, cov, gradient)


def _autocorrelation(resid: np.ndarray, observed: np.ndarray, lags: int) -> np.ndarray:
    """Per row, the autocorrelation of the residuals at lags 1..lags (observed pairs)."""
    n = np.maximum(observed.sum(axis=1), 1)
    r = np.where(observed, resid, 0.0)
    r = np.where(observed, r - (r.sum(axis=1) / n)[:, None], 0.0)
    variance = (r**2).sum(axis=1) / n
    out = np.zeros((len(r), lags))
    for k in range(1, lags + 1):
        pairs = observed[:, :-k] & observed[:, k:]
        covariance = (r[:, :-k] * r[:, k:] * pairs).sum(axis=1) / np.maximum(pairs.sum(axis=1), 1)
        out[:, k - 1] = covariance / np.maximum(variance, 1e-12)
    # No variation (a history of zeros): nothing to learn about dependence.
    return np.where(variance[:, None] > 1e-9, out, 0.0)


def expected_counts(
    y: np.ndarray,
    d: np.ndarray,
    end: int,
    calendar: np.ndarray,
    min_months: np.ndarray | int = MIN_FIT_MONTHS,
) -> Expected:
    """Fit on the history before the guard months ending at column `end`; predict them.

    `calendar` holds the calendar month (0-11) of every column; a series is fitted with
    at least `min_months` observed months of history (per series, or one for all).
    """
    first_guard = end - GUARD_MONTHS + 1
    start = max(0, first_guard - FIT_MONTHS)
    hist = slice(start, first_guard)
    yh, dh = y[:, hist], d[:, hist]
    observed = ~np.isnan(yh) & ~np.isnan(dh) & (dh > 0)
    yh, dh = np.where(observed, yh, 0.0), np.where(observed, dh, 1.0)
    months = np.arange(start, end + 1, dtype=float) - first_guard
    cal = calendar[start : end + 1]
    n_hist = first_guard - start
    n_obs = observed.sum(axis=1)
    season = n_hist >= SEASON_MIN_MONTHS

    X_flat = _design(months, cal, trend=False, season=season)
    beta, phi, cov, _ = _fit(yh, dh, observed, X_flat[:n_hist])
    X_trend = _design(months, cal, trend=True, season=season)
    beta_t, phi_t, cov_t, t_stat = _fit(yh, dh, observed, X_trend[:n_hist])
    keep_trend = (np.abs(t_stat[:, 1]) > TREND_T) & (n_obs >= SEASON_MIN_MONTHS)

    guard = slice(first_guard, end + 1)
    dg = d[:, guard]
    seen = ~np.isnan(y[:, guard]) & (dg > 0)
    predicted = []
    for b, c, X, f in (
        (beta, cov, X_flat, phi),
        (beta_t, cov_t, X_trend, phi_t),
    ):
        mu_hist = dh * np.exp(b @ X[:n_hist].T)
        pearson = (yh - mu_hist) / np.sqrt(f[:, None] * mu_hist)
        mu = np.where(dg > 0, dg * np.exp(b @ X[n_hist:].T), np.nan)
        predicted.append(
            (
                mu,
                _segment_variance(np.where(seen, mu, 0.0), X[n_hist:], c),
                _autocorrelation(pearson, observed, GUARD_MONTHS - 1),
            )
        )
    (mu_flat, var_flat, acf_flat), (mu_trend, var_trend, acf_trend) = predicted
    return Expected(
        mu=np.where(keep_trend[:, None], mu_trend, mu_flat),
        segment_var=np.where(keep_trend[:, None], var_trend, var_flat),
        phi=np.where(keep_trend, phi_t, phi),
        autocorrelation=np.where(keep_trend[:, None], acf_trend, acf_flat),
        fitted=n_obs >= min_months,
        slope=np.where(keep_trend, beta_t[:, 1], 0.0),
    )
