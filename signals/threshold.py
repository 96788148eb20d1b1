"""Approaching a statutory threshold: the 12-month level is on the safe side of the
criterion but within 10 % of it, and the fitted trend crosses it within a year."""

import numpy as np

WINDOW = 12
NEAR = 0.10


def approaching(y, d, end, slope, sign, threshold):
    """Per series: (signals, current level, level projected a year ahead).

    `threshold` is NaN for indicators without a statutory threshold; `slope` is the
    fitted trend in log rate per year (0 where not significant).
    """
    window = slice(end - WINDOW + 1, end + 1)
    complete = (end >= WINDOW - 1) & ~np.isnan(y[:, window]).any(axis=1)
    current = np.nansum(y[:, window], axis=1) / np.maximum(np.nansum(d[:, window], axis=1), 1e-12)
    projected = current * np.exp(slope)
    margin = sign * (threshold - current)
    signals = (
        complete
        & np.isfinite(threshold)
        & (margin > 0)
        & (margin <= NEAR * threshold)
        & (sign * (projected - threshold) >= 0)
    )
    return signals, current, projected
