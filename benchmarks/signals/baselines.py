"""The two baselines the detector is compared with, as statistics per series and month."""

import numpy as np


def relative_change_12m(y: np.ndarray, d: np.ndarray, end: int) -> np.ndarray:
    """Rate over the last 12 months relative to the 12 months before, minus 1."""
    now = slice(end - 11, end + 1)
    before = slice(end - 23, end - 11)
    rate_now = y[:, now].sum(axis=1) / d[:, now].sum(axis=1)
    rate_before = y[:, before].sum(axis=1) / d[:, before].sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(rate_before > 0, rate_now / rate_before - 1, np.nan)


def ears_c2(y: np.ndarray, d: np.ndarray, end: int) -> np.ndarray:
    """EARS C2: the month's rate against the mean and sd of months t-9..t-3 (2-month lag)."""
    rate = y / d
    baseline = rate[:, end - 9 : end - 2]
    sd = np.maximum(baseline.std(axis=1, ddof=1), 1e-9)
    return (rate[:, end] - baseline.mean(axis=1)) / sd
