"""Detection benchmark: the GLR detector against two baselines on simulated series.

    .venv/bin/python -m benchmarks.signals.run [--seed 2013] [--null-replicates 8] [--replicates 2]

For every monitored month (85-120) each method gives a statistic per series, computed
only from data up to that month. Each method's thresholds, one per count band (expected
events a month, as `signals.detect` bands them), are calibrated on the null series to the
same false-alarm rate, 1 alarm episode (a run of consecutive alarm months) per 100
series-years; the GLR detector's watch thresholds to 10, and its alarm episodes are runs
of watch months holding an alarm (one email each). Then, per denominator
and size of the injected deterioration: detection within 6 months of onset, median
delay, and the false alarms and email volume the threshold implies. Writes
benchmarks/results/signals.json and prints the Markdown tables of the README.

The GLR statistic counts only where the events gate of `signals.detect` passes. The
Benjamini-Hochberg step of `detect` (across the areas of an indicator) is left out: the
series here are independent scenarios, not areas of one indicator.
"""

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from benchmarks.record import machine
from benchmarks.signals.baselines import ears_c2, relative_change_12m
from benchmarks.signals.simulate import HISTORY, MONTHS, simulate
from signals.detect import COUNT_BANDS, MIN_EVENTS, count_band
from signals.glr import scan

RESULTS = Path(__file__).resolve().parents[1] / "results" / "signals.json"
TARGET_PER_100_YEARS = 1.0
WATCH_PER_100_YEARS = 10.0
WITHIN = 6
PORTFOLIO = 7_000 * 20


def statistics(y, d, groups) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """(series, monitored month) statistic of every method (higher is more alarming), and
    the count band of the GLR detector for every series and month. `groups` plays the part
    of an indicator: the series whose residual autocorrelation is pooled."""
    calendar = np.arange(MONTHS) % 12
    sign = np.ones(len(y))
    shape = (len(y), MONTHS - HISTORY)
    out = {name: np.empty(shape) for name in ("glr", "rel_change", "ears_c2")}
    bands = np.empty(shape, dtype=int)
    for j, end in enumerate(range(HISTORY, MONTHS)):
        s = scan(y, d, end, calendar, sign, groups=groups)
        gated = s.events >= MIN_EVENTS
        out["glr"][:, j] = np.where(gated, np.nan_to_num(s.score, nan=-np.inf), -np.inf)
        bands[:, j] = count_band(s.level)
        out["rel_change"][:, j] = np.nan_to_num(relative_change_12m(y, d, end), nan=-np.inf)
        out["ears_c2"][:, j] = np.nan_to_num(ears_c2(y, d, end), nan=-np.inf)
    return out, bands


def episodes(alarms: np.ndarray, within: np.ndarray | None = None) -> int:
    """Alarm episodes: runs of consecutive alarm months; with `within` (the watch state
    of the GLR detector), runs of watch months holding an alarm, as one episode keeps
    its start, and so its single email, while it stays at least at watch level."""
    runs = alarms if within is None else (within | alarms)
    starts = runs & ~np.pad(runs, ((0, 0), (1, 0)))[:, :-1]
    if within is None:
        return int(starts.sum())
    run_id = np.cumsum(starts, axis=1)
    rows, cols = np.nonzero(alarms)
    return len(np.unique(rows * (runs.shape[1] + 1) + run_id[rows, cols]))


def false_alarm_rate(stat, threshold, months=None, within=None) -> float:
    """Alarm episodes per 100 series-years (over `months`, a mask, when given)."""
    months = np.ones(stat.shape, dtype=bool) if months is None else months
    years = months.sum() / 12
    return 100 * episodes((stat >= threshold) & months, within) / max(years, 1e-9)


def calibrate(null_stat, target: float, months=None, within=None) -> float:
    """The lowest threshold whose false-alarm rate is at most `target` (bisection)."""
    months = np.ones(null_stat.shape, dtype=bool) if months is None else months
    finite = null_stat[np.isfinite(null_stat) & months]
    low, high = np.quantile(finite, 0.5), finite.max() + 1e-9
    for _ in range(60):
        mid = (low + high) / 2
        if false_alarm_rate(null_stat, mid, months, within) > target:
            low = mid
        else:
            high = mid
    return high


def banded_thresholds(null_stat, null_bands, target, within=None) -> np.ndarray:
    """One threshold per count band, each calibrated on the null months in its band."""
    return np.array(
        [
            calibrate(null_stat, target, null_bands == band, within)
            for band in range(len(COUNT_BANDS) + 1)
        ]
    )


def detection(stat: np.ndarray, onset_col: np.ndarray, threshold: np.ndarray):
    """Per injected series: detected within WITHIN months, and the delay in months."""
    months = np.arange(stat.shape[1])[None, :]
    after = (months >= onset_col[:, None]) & (stat >= threshold)
    first = np.where(after.any(axis=1), np.argmax(after, axis=1), 10**6)
    delay = first - onset_col
    return delay < WITHIN, np.where(delay < WITHIN, delay, np.nan)


def evaluate(series: pd.DataFrame, stats: dict[str, np.ndarray], bands: np.ndarray) -> dict:
    null = (series["shape"] == "null").to_numpy()
    onset_col = series["onset"].to_numpy() - HISTORY
    report = {"thresholds": {}, "false_alarms": [], "detection": []}
    for method, stat in stats.items():
        within = None
        if method == "glr":
            watch = banded_thresholds(stat[null], bands[null], WATCH_PER_100_YEARS)
            within = stat >= watch[bands]
            alarm = banded_thresholds(
                stat[null], bands[null], TARGET_PER_100_YEARS, within[null]
            )
            report["thresholds"].update(glr_alarm=list(alarm), glr_watch=list(watch))
            threshold = alarm[bands]
        else:
            # The baselines get the same advantage: a threshold per count band.
            banded = banded_thresholds(stat[null], bands[null], TARGET_PER_100_YEARS)
            report["thresholds"][method] = list(banded)
            threshold = banded[bands]
        for den, rows in series[null].groupby("denominator").groups.items():
            rate = false_alarm_rate(
                stat[rows], threshold[rows], within=None if within is None else within[rows]
            )
            report["false_alarms"].append(
                {"method": method, "denominator": den, "per_100_series_years": rate,
                 "emails_per_month_7000x20": rate / 100 / 12 * PORTFOLIO}
            )
        injected = series[~null]
        found, delay = detection(stat[~null], onset_col[~null], threshold[~null])
        frame = injected.assign(found=found, delay=delay)
        for (den, shape, size), group in frame.groupby(["denominator", "shape", "size"]):
            report["detection"].append(
                {"method": method, "denominator": den, "shape": shape, "size": size,
                 "detected": float(group["found"].mean()),
                 "median_delay": float(group["delay"].median()) if group["found"].any() else None,
                 "series": len(group)}
            )
    return report


def tables(report: dict) -> str:
    det = pd.DataFrame(report["detection"])
    fa = pd.DataFrame(report["false_alarms"])
    lines = []
    step = det[det["shape"] == "step"]
    pivot = step.pivot_table(index=["denominator", "size"], columns="method", values="detected")
    delay = step[step["method"] == "glr"].set_index(["denominator", "size"])["median_delay"]
    lines.append("| denominator | RR (step) | GLR | 12-month change | EARS C2 | GLR median delay |")
    lines.append("|---:|---:|---:|---:|---:|---:|")
    for (den, size), row in pivot.iterrows():
        lines.append(
            f"| {den:,} | {size} | {row['glr']:.0%} | {row['rel_change']:.0%} | "
            f"{row['ears_c2']:.0%} | {delay.get((den, size), float('nan'))} |"
        )
    lines += ["", "| denominator | ramp 6 / RR 1.5 (GLR) | ramp 12 / RR 1.5 (GLR) | "
              "false alarms per 100 series-years (GLR / change / C2) | GLR emails / month |",
              "|---:|---:|---:|---:|---:|"]
    for den in sorted(det["denominator"].unique()):
        ramps = det[(det["method"] == "glr") & (det["denominator"] == den) & (det["size"] == 1.5)]
        r6 = ramps.loc[ramps["shape"] == "ramp6", "detected"].iloc[0]
        r12 = ramps.loc[ramps["shape"] == "ramp12", "detected"].iloc[0]
        rates = fa[fa["denominator"] == den].set_index("method")
        lines.append(
            f"| {den:,} | {r6:.0%} | {r12:.0%} | {rates.at['glr', 'per_100_series_years']:.2f} / "
            f"{rates.at['rel_change', 'per_100_series_years']:.2f} / "
            f"{rates.at['ears_c2', 'per_100_series_years']:.2f} | "
            f"{rates.at['glr', 'emails_per_month_7000x20']:.0f} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=2013)
    parser.add_argument("--null-replicates", type=int, default=8)
    parser.add_argument("--replicates", type=int, default=2)
    args = parser.parse_args()
    started = time.perf_counter()
    sim = simulate(args.seed, args.null_replicates, args.replicates)
    # Series that differ only in denominator and injection stand in for the areas of one
    # indicator.
    groups = sim.series.groupby(["rate", "dispersion", "trend", "season"]).ngroup().to_numpy()
    report = evaluate(sim.series, *statistics(sim.y, sim.d, groups))
    report.update(
        seed=args.seed,
        series=len(sim.series),
        seconds=round(time.perf_counter() - started, 1),
        machine=machine(),
        date=time.strftime("%Y-%m-%d"),
    )
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(report, indent=1, default=float))
    print(json.dumps(report["thresholds"], indent=1))
    print(tables(report))


if __name__ == "__main__":
    main()
