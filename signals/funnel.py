"""Funnel comparison of each area's 12-month change against the other areas.

For one indicator: an area's rate over the last 12 months relative to the 12 months
before (log ratio), against the same ratio for all areas together. Its standard error
follows from the counts (1/Y_now + 1/Y_before), and the limits are widened by the
overdispersion between areas: the mean of the 10 %-winsorised squared z-scores
(Spiegelhalter 2005), never below 1. A municipality-wide change moves every area and
signals none; an area that deteriorates more than the others falls outside the funnel.
"""

import numpy as np
from scipy import stats

WINDOW = 12
MIN_EVENTS = 5


def _winsorised_phi(z: np.ndarray) -> float:
    z = z[np.isfinite(z)]
    if len(z) < 5:
        return 1.0
    low, high = np.quantile(z, [0.1, 0.9])
    return max(float(np.mean(np.clip(z, low, high) ** 2)), 1.0)


def funnel(y: np.ndarray, d: np.ndarray, end: int, groups: np.ndarray, sign: np.ndarray):
    """Per series at column `end`: z-score towards deterioration, one-sided p-value, the
    12-month rate and the rate expected from the area's year before and the overall change.

    `groups` holds an indicator code per row: areas are compared within an indicator.
    """
    now = slice(end - WINDOW + 1, end + 1)
    before = slice(end - 2 * WINDOW + 1, end - WINDOW + 1)
    complete = ~np.isnan(y[:, now]).any(axis=1) & ~np.isnan(y[:, before]).any(axis=1)
    y_now, y_before = np.nansum(y[:, now], axis=1), np.nansum(y[:, before], axis=1)
    d_now, d_before = np.nansum(d[:, now], axis=1), np.nansum(d[:, before], axis=1)
    usable = complete & (y_now >= MIN_EVENTS) & (y_before >= MIN_EVENTS) & (end >= 2 * WINDOW - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_ratio = np.log(np.where(usable, (y_now / d_now) / (y_before / d_before), 1.0))
    se = np.sqrt(1 / np.maximum(y_now, 1) + 1 / np.maximum(y_before, 1))
    z, expected = np.full(len(y), np.nan), np.full(len(y), np.nan)
    for group in np.unique(groups):
        rows = (groups == group) & usable
        if rows.sum() < 3:
            continue
        overall = np.log(
            (y_now[rows].sum() / d_now[rows].sum()) / (y_before[rows].sum() / d_before[rows].sum())
        )
        raw = (log_ratio[rows] - overall) / se[rows]
        z[rows] = sign[rows] * raw / np.sqrt(_winsorised_phi(raw))
        expected[rows] = y_before[rows] / d_before[rows] * np.exp(overall)
    return z, stats.norm.sf(z), y_now / np.maximum(d_now, 1e-12), expected
