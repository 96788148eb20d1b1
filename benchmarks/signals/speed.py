"""Time of `signals.detect` on a national portfolio: 7,000 areas x 20 indicators x 60 months.

    .venv/bin/python -m benchmarks.signals.speed [--repeat 3]

Observations are negative-binomial series (denominators 200-10,000, rates 0.3-10 %),
half the indicators worse when higher, half when lower, 1 % of the series with an RR 1.5
step in the last 4 months so that episode starts are traced back too. Results are
appended to benchmarks/results/signals_speed.jsonl.
"""

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import pandas as pd

import signals
from benchmarks.record import append

RESULTS = Path(__file__).resolve().parents[1] / "results" / "signals_speed.jsonl"


def portfolio(areas=7_000, indicators=20, months=60, seed=1):
    rng = np.random.default_rng(seed)
    n = areas * indicators
    den = rng.choice([200, 500, 1_000, 2_000, 5_000, 10_000], size=n).astype(float)
    rate = rng.choice([0.003, 0.01, 0.1], size=n)
    mean = np.repeat((den * rate)[:, None], months, axis=1)
    stepped = rng.random(n) < 0.01
    higher = (np.arange(n) % indicators) < indicators // 2
    mean[stepped, -4:] *= np.where(higher[stepped], 1.5, 1 / 1.5)[:, None]
    counts = rng.poisson(rng.gamma(mean / 0.5, 0.5))  # dispersion 1.5
    periods = pd.date_range("2021-01-01", periods=months, freq="MS")
    observations = pd.DataFrame(
        {
            "area_id": np.repeat(np.arange(n) // indicators, months).astype(str),
            "indicator_id": np.repeat(np.arange(n) % indicators, months).astype(str),
            "period": np.tile(periods, n),
            "numerator": counts.ravel().astype(float),
            "denominator": np.repeat(den, months),
        }
    )
    catalogue = pd.DataFrame(
        {
            "indicator_id": np.arange(indicators).astype(str),
            "worse_when": np.where(np.arange(indicators) < indicators // 2, "higher", "lower"),
        }
    )
    return observations, catalogue


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    observations, catalogue = portfolio()
    seconds, found = [], None
    for _ in range(args.repeat):
        started = time.perf_counter()
        found = signals.detect(observations, catalogue)
        seconds.append(round(time.perf_counter() - started, 1))
    record = {
        "series": 7_000 * 20,
        "months": 60,
        "rows": len(observations),
        "seconds": seconds,
        "median_s": statistics.median(seconds),
        "alarms": int((found["severity"] == "alarm").sum()),
        "watches": int((found["severity"] == "watch").sum()),
    }
    append(RESULTS, record)


if __name__ == "__main__":
    main()
