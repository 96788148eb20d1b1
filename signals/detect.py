"""Negative-trend detection over area indicator series: `detect` and its decision rules.

Per area x indicator series, at the evaluation month (`as_of`), with no data after it:

- glr (alarm or watch): the counts of the last months against a Farrington-flexible
  quasi-Poisson expectation fitted on the years before (signals/expected.py), scanned for
  a sustained shift (signals/glr.py). Alarm when the statistic passes the threshold
  calibrated to the in-control run length below AND its Benjamini-Hochberg q-value
  (across the areas of the indicator in this run) is small; watch at a lower threshold.
- spike (watch): the last month alone is improbable under the predictive distribution.
- funnel (watch): the area's 12-month change is worse than the other areas' beyond
  overdispersion-adjusted funnel limits (signals/funnel.py).
- threshold (watch): the area is close to a statutory threshold and its trend crosses it
  within a year (signals/threshold.py); needs a `statutory_threshold` column.

Gates: no signal without at least MIN_EVENTS events (observed when higher is worse,
expected when lower is worse; for autocorrelated series such as rolling 12-month counts,
as many independent events as the sum is worth). Only deterioration signals. One row
per signalling series, by precedence: glr alarm, spike (a single extreme month says more
than a watch-level shift), glr watch, funnel, threshold.
"""

import numpy as np
import pandas as pd
from scipy import stats

from signals.alerts import month_da
from signals.expected import FIRST_EVALUABLE, MIN_FIT_MONTHS, ROLLING_MIN_FIT_MONTHS
from signals.funnel import funnel
from signals.glr import Scan, scan
from signals.threshold import approaching

# Thresholds on the GLR statistic per count band (expected events per month: under 5,
# 5-20, 20-100, 100 and more), calibrated by simulation on in-control negative-binomial
# series (benchmarks/signals/run.py; figures in benchmarks/signals/README.md): H_ALARM
# gives 1 false alarm episode per 100 series-years in every band, H_WATCH 10. Small
# counts are discrete and their dispersion is estimated less precisely: they need more.
COUNT_BANDS = (5.0, 20.0, 100.0)
H_ALARM = np.array([4.29, 3.89, 3.91, 3.97])
H_WATCH = np.array([3.02, 2.85, 2.92, 2.89])
ALARM_Q = 0.05
SPIKE_Q = 0.001
FUNNEL_Q = 0.001
MIN_EVENTS = 5
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
    """BH-adjusted q-values (SciPy's false discovery control); NaN stays NaN."""
    p = np.asarray(p_values, dtype=float)
    q = np.full(len(p), np.nan)
    valid = ~np.isnan(p)
    if valid.any():
        q[valid] = stats.false_discovery_control(p[valid], method="bh")
    return q


def bh_by_group(p_values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    q = np.full(len(p_values), np.nan)
    for group in np.unique(groups):
        rows = groups == group
        q[rows] = benjamini_hochberg(p_values[rows])
    return q


def enough_events(observed, expected, sign) -> np.ndarray:
    return np.where(sign > 0, observed, expected) >= MIN_EVENTS


def count_band(level: np.ndarray) -> np.ndarray:
    """0-3: the count band of a mean expected count per month."""
    return np.searchsorted(COUNT_BANDS, np.nan_to_num(level), side="right")


def glr_state(s: Scan, sign: np.ndarray) -> np.ndarray:
    """The per-series watch state an episode is made of (no multiple-testing step)."""
    return (s.score >= H_WATCH[count_band(s.level)]) & enough_events(
        s.events, s.expected_events, sign
    )


def _danish(number: float, decimals: int) -> str:
    return f"{number:.{decimals}f}".replace(".", ",")


def _q_text(q: float) -> str:
    return "under 0,001" if q < 0.001 else f"= {_danish(q, 3)}"


def explain(method: str, sign: float, row: dict) -> str:
    """The Danish one-line reason for a signal (numbers with decimal comma)."""
    worse = "højere" if sign > 0 else "lavere"
    if method == "glr":
        return (
            f"Siden {month_da(row['episode_start'])} har niveauet været {worse} end forventet "
            f"ud fra de foregående år ({_danish(row['observed'] / row['expected'], 2)} gange "
            f"det forventede; styrke {_danish(row['score'], 1)}, q {_q_text(row['q_value'])})."
        )
    if method == "spike":
        return (
            f"Måneden er usædvanligt {'høj' if sign > 0 else 'lav'} i forhold til forventet "
            f"(q {_q_text(row['q_value'])})."
        )
    if method == "funnel":
        return (
            f"Udviklingen de seneste 12 måneder er markant dårligere end i de øvrige "
            f"områder (z = {_danish(row['score'], 1)}, q {_q_text(row['q_value'])})."
        )
    return (
        "Niveauet er tæt på den lovfastsatte grænse, og udviklingen krydser den inden for "
        f"et år (nu {_danish(100 * row['observed'], 1)} %, om et år "
        f"{_danish(100 * row['expected'], 1)} %)."
    )


def _matrices(obs: pd.DataFrame, as_of_index: int):
    """Series x month matrices of numerators and denominators (NaN where missing)."""
    first = int(obs["m"].min())
    keys = obs[["area_id", "indicator_id"]].drop_duplicates().reset_index(drop=True)
    codes = obs.merge(keys.reset_index(), on=["area_id", "indicator_id"])
    shape = (len(keys), as_of_index - first + 1)
    y, d = np.full(shape, np.nan), np.full(shape, np.nan)
    rows, cols = codes["index"].to_numpy(), (codes["m"] - first).to_numpy()
    y[rows, cols] = codes["numerator"].to_numpy(dtype=float)
    d[rows, cols] = codes["denominator"].to_numpy(dtype=float)
    calendar = (first + np.arange(shape[1])) % 12
    return keys, y, d, calendar, first


def _episode_starts(
    y, d, end, calendar, sign, now: Scan, rows: np.ndarray, min_months: np.ndarray
) -> np.ndarray:
    """Estimated shift start at the first month of the unbroken run of watch states."""
    start = now.start[rows].copy()
    open_rows = np.arange(len(rows))
    for back in range(1, MAX_EPISODE_LOOKBACK + 1):
        if len(open_rows) == 0 or end - back < FIRST_EVALUABLE:
            break
        picked = rows[open_rows]
        earlier = scan(
            y[picked], d[picked], end - back, calendar, sign[picked],
            autocorrelation=now.autocorrelation[picked], min_months=min_months[picked],
        )
        watch = glr_state(earlier, sign[picked])
        start[open_rows[watch]] = earlier.start[watch]
        # A month without data (school holidays) is passed over, not a break in the run.
        open_rows = open_rows[watch | np.isnan(y[picked, end - back])]
    return start


def reported_method(glr_alarm, spike, near, glr_watch, funnel) -> np.ndarray:
    """Which signal a series reports when several hold: an alarm; one extreme month (says
    more than a moderate shift); approaching the statutory threshold (the area's legal
    status is at stake, and an episode is escalated when its series starts to approach
    it, which a watch reported ahead of it would hide); a watch-level shift; the funnel."""
    return np.select(
        [glr_alarm, spike, near, glr_watch, funnel],
        ["glr", "spike", "threshold", "glr", "funnel"],
        default="",
    )


def detect(
    observations: pd.DataFrame, indicators: pd.DataFrame, as_of: object = None
) -> pd.DataFrame:
    """Area x indicator series in a deterioration signal state at `as_of`.

    observations: area_id, indicator_id, period (first of month), numerator, denominator
    (unsuppressed). indicators: indicator_id, worse_when ('higher' or 'lower'; other
    directions are not evaluated), optionally statutory_threshold and rolling_window (not
    null: a rolling 12-month series, which the GLR judges only with two years of
    history: `ROLLING_MIN_FIT_MONTHS`). Only data up to
    `as_of` (default: the latest period) is used. Returns one row per signalling series
    with the columns in OUTPUT_COLUMNS.
    """
    catalogue = indicators.set_index("indicator_id")
    direction = catalogue["worse_when"].map({"higher": 1.0, "lower": -1.0}).dropna()
    obs = observations[observations["indicator_id"].isin(direction.index)]
    obs = obs[obs["numerator"].notna() & (obs["denominator"] > 0)].copy()
    obs["period"] = pd.to_datetime(obs["period"])
    as_of = obs["period"].max() if as_of is None else pd.Timestamp(as_of)
    obs = obs[obs["period"] <= as_of]
    if obs.empty:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    obs["m"] = obs["period"].dt.year * 12 + obs["period"].dt.month - 1
    as_of_index = as_of.year * 12 + as_of.month - 1
    keys, y, d, calendar, first = _matrices(obs, as_of_index)
    end = as_of_index - first
    if end < FIRST_EVALUABLE:  # too little history for any method
        return pd.DataFrame(columns=OUTPUT_COLUMNS)
    sign = keys["indicator_id"].map(direction).to_numpy()
    groups = keys["indicator_id"].to_numpy()
    threshold = keys["indicator_id"].map(
        catalogue.get("statutory_threshold", pd.Series(dtype=float))
    ).to_numpy(dtype=float)

    rolling = keys["indicator_id"].map(catalogue.get("rolling_window", pd.Series(dtype=object)))
    min_months = np.where(rolling.notna(), ROLLING_MIN_FIT_MONTHS, MIN_FIT_MONTHS)
    now = scan(
        y, d, end, calendar, sign, groups=groups, min_months=min_months,
        rolling=rolling.notna().to_numpy(),
    )  # fmt: skip
    glr_q = bh_by_group(now.p_value, groups)
    spike_q = bh_by_group(now.spike_p, groups)
    funnel_z, funnel_p, funnel_observed, funnel_expected = funnel(y, d, end, groups, sign)
    funnel_q = bh_by_group(np.where(np.isnan(funnel_z), np.nan, funnel_p), groups)
    near, level, projected = approaching(y, d, end, now.slope, sign, threshold)

    glr_watch = glr_state(now, sign)
    glr_alarm = glr_watch & (now.score >= H_ALARM[count_band(now.level)]) & (glr_q <= ALARM_Q)
    spike = (spike_q <= SPIKE_Q) & enough_events(now.last_observed, now.last_expected, sign)
    method = reported_method(glr_alarm, spike, near, glr_watch, funnel_q <= FUNNEL_Q)
    signalling = np.flatnonzero(method != "")
    if len(signalling) == 0:
        return pd.DataFrame(columns=OUTPUT_COLUMNS)

    glr_rows = signalling[method[signalling] == "glr"]
    denominator = np.maximum(now.denominator, 1e-12)
    start = np.full(len(y), end)
    start[glr_rows] = _episode_starts(y, d, end, calendar, sign, now, glr_rows, min_months)
    by_method = {
        "glr": (now.observed / denominator, now.expected / denominator, now.score,
                now.p_value, glr_q),
        "spike": (now.last_observed / d[:, end], now.last_expected / d[:, end],
                  now.last_observed / np.maximum(now.last_expected, 1e-12), now.spike_p,
                  spike_q),
        "funnel": (funnel_observed, funnel_expected, funnel_z, funnel_p, funnel_q),
        "threshold": (level, projected, np.full(len(y), np.nan), np.full(len(y), np.nan),
                      np.full(len(y), np.nan)),
    }

    def month(index: int) -> pd.Timestamp:
        index += first
        return pd.Timestamp(year=index // 12, month=index % 12 + 1, day=1)

    out = []
    for i in signalling:
        observed, expected, score, p, q = (a[i] for a in by_method[method[i]])
        row = {
            "area_id": keys.at[i, "area_id"],
            "indicator_id": keys.at[i, "indicator_id"],
            "period": as_of,
            "method": method[i],
            "episode_start": month(int(start[i])),
            "observed": observed,
            "expected": expected,
            "score": score,
            "p_value": p,
            "q_value": q,
            "severity": "alarm" if glr_alarm[i] else "watch",
        }
        row["explanation"] = explain(method[i], sign[i], row)
        out.append(row)
    return (
        pd.DataFrame(out, columns=OUTPUT_COLUMNS)
        .sort_values(["indicator_id", "area_id"])
        .reset_index(drop=True)
    )
