"""Negative-trend detection over area indicator series.

First method ("baseline_shift"): for each area x indicator series, compare the pooled
rate of the last 3 months with the pooled rate of a 12-month baseline that ends 3 months
before them (the gap keeps a young deterioration out of its own baseline). The scale is
a robust month-to-month standard deviation of the baseline (median absolute successive
difference, never below the binomial standard deviation): it absorbs overdispersion
and the persistence of monthly statuses, and one past jump does not inflate it.
One-sided p-values in the direction of deterioration, Benjamini-Hochberg across the
areas of one indicator, and an event gate so small counts never alarm.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

METHOD = "baseline_shift"
RECENT_MONTHS = 3
GAP_MONTHS = 3
BASELINE_MONTHS = 12
MIN_BASELINE_MONTHS = 8
MIN_EVENTS = 5
ALARM_Q = 0.01
WATCH_Q = 0.05
MAX_EPISODE_LOOKBACK = 24

OUTPUT_COLUMNS = [
    "area_id",
    "indicator_id",
    "period",
    "method",
    "episode_start",
    "observed",
    "expected",
    "score",
    "p_value",
    "q_value",
    "severity",
    "explanation",
]


def benjamini_hochberg(p_values: np.ndarray) -> np.ndarray:
    """BH-adjusted q-values (monotone, capped at 1)."""
    p = np.asarray(p_values, dtype=float)
    n = len(p)
    if n == 0:
        return p
    order = np.argsort(p)
    ranked = p[order] * n / np.arange(1, n + 1)
    q_sorted = np.minimum.accumulate(ranked[::-1])[::-1]
    q = np.empty(n)
    q[order] = np.minimum(q_sorted, 1.0)
    return q


def _robust_sd(rates: pd.Series) -> float:
    """Month-to-month standard deviation from the median absolute successive difference."""
    diffs = np.abs(np.diff(rates.to_numpy()))
    if len(diffs) == 0:
        return np.nan
    return float(np.median(diffs) * 1.4826 / np.sqrt(2))


def _month_index(periods: pd.Series) -> pd.Series:
    return periods.dt.year * 12 + periods.dt.month - 1


def _evaluate(obs: pd.DataFrame, as_of_index: int) -> pd.DataFrame:
    """Score every series at one evaluation month (no data after it is used)."""
    obs = obs.sort_values("m")
    recent = obs[(obs["m"] > as_of_index - RECENT_MONTHS) & (obs["m"] <= as_of_index)]
    base_hi = as_of_index - RECENT_MONTHS - GAP_MONTHS
    baseline = obs[(obs["m"] > base_hi - BASELINE_MONTHS) & (obs["m"] <= base_hi)]
    keys = ["area_id", "indicator_id"]
    r = recent.groupby(keys).agg(
        recent_num=("numerator", "sum"),
        recent_den=("denominator", "sum"),
        recent_n=("m", "size"),
        sign=("sign", "first"),
    )
    b = (
        baseline.assign(rate=baseline["numerator"] / baseline["denominator"])
        .groupby(keys)
        .agg(
            base_num=("numerator", "sum"),
            base_den=("denominator", "sum"),
            base_n=("m", "size"),
            base_sd=("rate", _robust_sd),
        )
    )
    s = r.join(b, how="inner")
    s = s[(s["recent_n"] == RECENT_MONTHS) & (s["base_n"] >= MIN_BASELINE_MONTHS)]
    s = s[(s["recent_den"] > 0) & (s["base_den"] > 0)].copy()
    s["observed"] = s["recent_num"] / s["recent_den"]
    s["expected"] = s["base_num"] / s["base_den"]
    mean_den = s["recent_den"] / RECENT_MONTHS
    p0 = s["expected"].clip(1e-9, 1 - 1e-9)
    binomial_sd = np.sqrt(p0 * (1 - p0) / mean_den)
    scale = np.maximum(s["base_sd"].fillna(0), binomial_sd)
    s["score"] = s["sign"] * (s["observed"] - s["expected"]) / scale
    s["p_value"] = norm.sf(s["score"])
    # Enough events: the observed count when worse is higher, the expected when lower.
    events = np.where(s["sign"] > 0, s["recent_num"], s["expected"] * s["recent_den"])
    s["gated"] = events < MIN_EVENTS
    s["q_value"] = np.nan
    for idx in s.groupby(level="indicator_id").groups.values():
        s.loc[idx, "q_value"] = benjamini_hochberg(s.loc[idx, "p_value"].to_numpy())
    s["severity"] = np.select(
        [s["gated"] | (s["score"] <= 0), s["q_value"] < ALARM_Q, s["q_value"] < WATCH_Q],
        [None, "alarm", "watch"],
        default=None,
    )
    return s.reset_index()


def _danish(number: float, decimals: int) -> str:
    return f"{number:.{decimals}f}".replace(".", ",")


def explain(sign: float, score: float, q_value: float) -> str:
    """The Danish one-line reason for a signal (numbers with decimal comma)."""
    q_text = "under 0,001" if q_value < 0.001 else f"= {_danish(q_value, 3)}"
    return (
        f"Niveauet de seneste {RECENT_MONTHS} måneder er markant "
        f"{'højere' if sign > 0 else 'lavere'} end i de {BASELINE_MONTHS} måneder, der "
        f"sluttede {GAP_MONTHS} måneder før (afvigelse {_danish(score, 1)} "
        f"standardafvigelser, q {q_text})."
    )


def detect(
    observations: pd.DataFrame, indicators: pd.DataFrame, as_of: object = None
) -> pd.DataFrame:
    """Area x indicator series in a deterioration signal state at `as_of`.

    observations: area_id, indicator_id, period (first of month), numerator, denominator
    (unsuppressed). indicators: indicator_id, worse_when ('higher' or 'lower'; other
    directions are not evaluated). Only data up to `as_of` (default: the latest period)
    is used. Returns one row per signalling series with the columns in OUTPUT_COLUMNS.
    """
    directions = indicators.set_index("indicator_id")["worse_when"]
    sign = directions.map({"higher": 1.0, "lower": -1.0}).dropna()
    obs = observations[observations["indicator_id"].isin(sign.index)].copy()
    obs = obs[obs["denominator"].notna() & obs["numerator"].notna()]
    obs["period"] = pd.to_datetime(obs["period"])
    if as_of is None:
        as_of = obs["period"].max()
    if obs.empty or pd.isna(as_of):
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    as_of = pd.Timestamp(as_of)
    obs = obs[obs["period"] <= as_of]
    obs["m"] = _month_index(obs["period"])
    obs["sign"] = obs["indicator_id"].map(sign)
    as_of_index = as_of.year * 12 + as_of.month - 1

    now = _evaluate(obs, as_of_index)
    now = now[now["severity"].notna()].copy()
    if now.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    # The episode started at the first month of the unbroken run of signal states.
    episode_start = {}
    open_series = set(zip(now["area_id"], now["indicator_id"]))
    for back in range(1, MAX_EPISODE_LOOKBACK + 1):
        if not open_series:
            break
        earlier = _evaluate(obs, as_of_index - back)
        signalling = (
            set(
                zip(*earlier.loc[earlier["severity"].notna(), ["area_id", "indicator_id"]].T.values)
            )
            if not earlier.empty
            else set()
        )
        for series in list(open_series):
            if series not in signalling:
                episode_start[series] = as_of_index - back + 1
                open_series.discard(series)
    for series in open_series:
        episode_start[series] = as_of_index - MAX_EPISODE_LOOKBACK

    def to_date(index: int) -> pd.Timestamp:
        return pd.Timestamp(year=index // 12, month=index % 12 + 1, day=1)

    now["period"] = as_of
    now["method"] = METHOD
    now["episode_start"] = [
        to_date(episode_start[s]) for s in zip(now["area_id"], now["indicator_id"])
    ]
    now["explanation"] = [
        explain(sign, score, q) for sign, score, q in zip(now["sign"], now["score"], now["q_value"])
    ]
    return now[OUTPUT_COLUMNS].sort_values(["indicator_id", "area_id"]).reset_index(drop=True)
