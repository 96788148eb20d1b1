"""Simulated monthly area series in the style of Noufaily et al. (Stat Med 2013).

Negative-binomial counts with mean = denominator x rate x exp(trend + seasonality) and
variance = dispersion x mean, over a full grid of denominators, base rates, dispersions,
trends and seasonality; 120 months of which the first 84 are history. Injected
deteriorations start at a random month between 85 and 108 (1-based): steps of relative
risk RR, or ramps reaching RR over 6 or 12 months; null series carry no injection.
"""

from dataclasses import dataclass

import numpy as np
import pandas as pd

MONTHS = 120
HISTORY = 84
DENOMINATORS = (200, 500, 1_000, 2_000, 5_000, 10_000)
BASE_RATES = (0.003, 0.01, 0.10)  # 0.3 %/month, 1 %/month, 10 % prevalence
DISPERSIONS = (1.0, 1.5, 2.0, 3.0)
TRENDS = (0.0, 0.02, -0.02)  # per year, on the log scale
SEASONS = (False, True)
SEASON_AMPLITUDE = 0.2  # one harmonic on the log scale
SIZES = (1.1, 1.2, 1.3, 1.5, 2.0)
SHAPES = (("step", 1), ("ramp6", 6), ("ramp12", 12))


@dataclass
class Simulation:
    series: pd.DataFrame  # one row per series: its scenario, onset (column) or -1 for null
    y: np.ndarray  # (series, MONTHS) counts
    d: np.ndarray  # (series, MONTHS) denominators


def scenarios(null_replicates: int, replicates: int) -> pd.DataFrame:
    rows = []
    for den in DENOMINATORS:
        for rate in BASE_RATES:
            for phi in DISPERSIONS:
                for trend in TRENDS:
                    for season in SEASONS:
                        base = dict(
                            denominator=den, rate=rate, dispersion=phi, trend=trend, season=season
                        )
                        rows += [{**base, "shape": "null", "size": 1.0}] * null_replicates
                        for shape, _ in SHAPES:
                            for size in SIZES:
                                rows += [{**base, "shape": shape, "size": size}] * replicates
    return pd.DataFrame(rows)


def simulate(seed: int = 2013, null_replicates: int = 8, replicates: int = 2) -> Simulation:
    rng = np.random.default_rng(seed)
    series = scenarios(null_replicates, replicates)
    n = len(series)
    t = np.arange(MONTHS)
    log_mean = (
        np.log(series["denominator"] * series["rate"]).to_numpy()[:, None]
        + series["trend"].to_numpy()[:, None] * t / 12
        + series["season"].to_numpy()[:, None]
        * SEASON_AMPLITUDE
        * np.sin(2 * np.pi * t / 12)[None, :]
    )
    injected = series["shape"] != "null"
    onset = np.where(injected, rng.integers(HISTORY, 108, size=n), -1)
    ramp = series["shape"].map(dict(SHAPES)).fillna(1).to_numpy()
    since = t[None, :] - onset[:, None]
    progress = np.clip((since + 1) / ramp[:, None], 0, 1) * (since >= 0)
    multiplier = np.exp(np.log(series["size"].to_numpy())[:, None] * progress)
    mean = np.exp(log_mean) * multiplier
    phi = series["dispersion"].to_numpy()[:, None]
    # Negative binomial with variance phi * mean as a gamma-Poisson mixture; phi = 1: Poisson.
    shape = mean / np.maximum(phi - 1, 1e-12)
    lam = np.where(phi > 1, rng.gamma(shape, np.maximum(phi - 1, 1e-12)), mean)
    d = np.repeat(series["denominator"].to_numpy(dtype=float)[:, None], MONTHS, axis=1)
    y = np.minimum(rng.poisson(lam), d)
    return Simulation(series.assign(onset=onset), y.astype(float), d)
