import numpy as np
import pandas as pd
import pytest

from signals import detect
from signals.detect import OUTPUT_COLUMNS, benjamini_hochberg, explain, reported_method
from signals.expected import GUARD_MONTHS, _autocorrelation, expected_counts
from signals.funnel import funnel
from signals.glr import _signed_root, rolling_floor, sum_inflation

PERIODS = pd.date_range("2024-01-01", periods=24, freq="MS")
INDICATORS = pd.DataFrame(
    {"indicator_id": ["up_bad", "down_bad"], "worse_when": ["higher", "lower"]}
)


def series(area, rates, denominator, rng, indicator="up_bad"):
    counts = rng.binomial(denominator, rates)
    return pd.DataFrame(
        {
            "area_id": area,
            "indicator_id": indicator,
            "period": PERIODS,
            "numerator": counts.astype(float),
            "denominator": float(denominator),
        }
    )


def municipality(
    rng, shifted=None, factor=1.5, start=18, denominator=1000, base=0.2, indicator="up_bad", areas=8
):
    frames = []
    for i in range(areas):
        rates = np.full(24, base)
        if f"A{i}" == shifted:
            rates[start:] *= factor
        frames.append(series(f"A{i}", rates, denominator, rng, indicator))
    return pd.concat(frames, ignore_index=True)


def test_benjamini_hochberg_by_hand():
    # sorted p 0.01, 0.03, 0.04, 0.5 -> 0.04, 0.06, 0.0533, 0.5 -> cumulative min from the top
    q = benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.5]))
    assert q == pytest.approx([0.04, 0.16 / 3, 0.16 / 3, 0.5])
    with_missing = benjamini_hochberg(np.array([0.01, np.nan, 0.5]))
    assert with_missing[0] == pytest.approx(0.02) and np.isnan(with_missing[1])


def test_glr_signed_root_by_hand():
    # 30 observed against 20 expected: Lambda = 30 ln 1.5 - 10 = 2.16395.
    assert _signed_root(np.array(30.0), np.array(20.0), 1.0) == pytest.approx(2.08036, abs=1e-5)
    assert _signed_root(np.array(30.0), np.array(20.0), 2.0) == pytest.approx(1.47104, abs=1e-5)
    assert _signed_root(np.array(10.0), np.array(20.0), 1.0) < 0


def test_dependent_months_count_less_than_independent_ones():
    # Lag-1 0.5, lag-2 0.25: a 6-month sum has variance 6 (1 + (2/6)(5 x 0.5 + 4 x 0.25))
    # = 6 x 2.1667; a 2-month sum 2 x 1.5; one month 1.
    inflation = sum_inflation(np.array([[0.5, 0.25, 0.0, 0.0, 0.0]]))
    # columns: sums of 6, 5, 4, 3, 2 and 1 months
    assert inflation[0] == pytest.approx([13 / 6, 2.1, 2.0, 11 / 6, 1.5, 1.0])
    alternating = np.tile([1.0, -1.0], 10)[None, :]
    acf = _autocorrelation(alternating, np.ones_like(alternating, dtype=bool), 2)
    assert acf[0] == pytest.approx([-1.0, 1.0])
    flat = _autocorrelation(np.zeros((1, 20)), np.ones((1, 20), dtype=bool), 2)
    assert flat[0].tolist() == [0.0, 0.0]


def calendar(n):
    return np.arange(n) % 12


def test_expected_counts_recover_a_clean_trend_and_ignore_a_past_outlier():
    n = 48
    years = (np.arange(n) - (n - GUARD_MONTHS)) / 12
    d = np.full((2, n), 1000.0)
    y = np.vstack([100 * np.exp(0.1 * years), np.full(n, 100.0)])
    y[1, 10] = 300.0  # one wild month in the history of the flat series
    model = expected_counts(y, d, n - 1, calendar(n))
    assert model.slope[0] == pytest.approx(0.1, abs=1e-6)
    assert model.mu[0] == pytest.approx(100 * np.exp(0.1 * years[-GUARD_MONTHS:]), rel=1e-6)
    # Unweighted, the outlier would lift the level by 200 / 42 = 4.8; down-weighted, < 1.
    assert model.slope[1] == 0 and np.all(np.abs(model.mu[1] - 100) < 1)


def test_funnel_ignores_a_citywide_change_and_flags_the_area_that_moves_alone():
    n, areas = 24, 6
    d = np.full((areas, n), 1000.0)
    y = np.full((areas, n), 50.0)
    y[:, 12:] = 75.0  # every area rises by half: the whole city moved
    groups, sign = np.zeros(areas), np.ones(areas)
    z, *_ = funnel(y, d, n - 1, groups, sign)
    assert np.allclose(z, 0)
    y[0, 12:] = 150.0  # area 0 triples
    z, p, observed, expected = funnel(y, d, n - 1, groups, sign)
    assert z[0] > 3 and np.all(z[1:] < 0)
    assert observed[0] == pytest.approx(0.15)


def test_injected_step_is_found_with_its_episode_start():
    obs = municipality(np.random.default_rng(1), shifted="A3")
    found = detect(obs, INDICATORS)
    assert list(found.columns) == OUTPUT_COLUMNS
    alarms = found[found["severity"] == "alarm"]
    assert alarms[["area_id", "indicator_id", "method"]].values.tolist() == [
        ["A3", "up_bad", "glr"]
    ]
    row = alarms.iloc[0]
    assert row["period"] == PERIODS[-1]
    assert row["episode_start"] == PERIODS[18]
    assert row["observed"] > row["expected"] and row["q_value"] < 0.01
    assert "højere" in row["explanation"]


def test_an_onset_is_never_a_month_without_data():
    # No data in June 2025 (as school absence has no July), a doubling from July: the
    # onset is July, not the empty June that ties with it (before the twenty-third session).
    obs = municipality(np.random.default_rng(0), shifted="A2", start=18, factor=2.0)
    gap = obs[obs["period"] != PERIODS[17]]
    [row] = detect(gap, INDICATORS, PERIODS[18]).to_dict("records")
    assert (row["area_id"], row["severity"]) == ("A2", "alarm")
    assert row["episode_start"] == PERIODS[18]


def test_a_month_without_data_inside_the_run_does_not_cut_the_onset_short():
    # A doubling from May 2025, no data in October, judged in December. December's scan
    # reaches back to July (its guard months), November's to June; October judges nothing
    # and is passed over, so September's scans and those before find May. Were October a
    # break in the run of watch states, the onset would be June (checked on seeds 0-7).
    obs = municipality(np.random.default_rng(0), shifted="A2", start=16, factor=2.0)
    gap = obs[obs["period"] != PERIODS[21]]
    [row] = detect(gap, INDICATORS, PERIODS[23]).to_dict("records")
    assert (row["area_id"], row["method"], row["severity"]) == ("A2", "glr", "alarm")
    assert row["episode_start"] == PERIODS[16]


def test_an_episode_keeps_its_start_while_it_lasts():
    obs = municipality(np.random.default_rng(1), shifted="A3")
    starts = set()
    for as_of in PERIODS[19:]:
        found = detect(obs, INDICATORS, as_of)
        starts |= set(found.loc[found["area_id"] == "A3", "episode_start"])
    assert starts == {PERIODS[18]}


def test_null_series_never_alarm():
    rng = np.random.default_rng(2)
    obs = pd.concat([municipality(rng) for _ in range(3)], keys=range(3)).reset_index(level=0)
    obs["area_id"] = obs["area_id"] + "_" + obs["level_0"].astype(str)
    obs = obs.drop(columns="level_0")
    for as_of in PERIODS[17:]:
        found = detect(obs, INDICATORS, as_of)
        assert (found["severity"] != "alarm").all(), as_of


def test_small_counts_never_alarm():
    # A small area with no events for 21 months and then 1, 2, 1: a huge relative jump,
    # but 4 events since the shift are below the gate of 5. With 2, 2, 2 the same
    # series alarms, so it is the gate that keeps the first one quiet.
    def small_area(recent):
        counts = [0.0] * 21 + recent
        return pd.DataFrame(
            {
                "area_id": "small",
                "indicator_id": "up_bad",
                "period": PERIODS,
                "numerator": counts,
                "denominator": 30.0,
            }
        )

    assert detect(small_area([1.0, 2.0, 1.0]), INDICATORS).empty
    assert detect(small_area([2.0, 2.0, 2.0]), INDICATORS)["severity"].tolist() == ["alarm"]


def test_no_look_ahead():
    obs = municipality(np.random.default_rng(4), shifted="A2", start=17)
    as_of = PERIODS[20]
    before = detect(obs, INDICATORS, as_of)
    assert before["area_id"].tolist() == ["A2"]
    tampered = obs.copy()
    later = tampered["period"] > as_of
    tampered.loc[later, "numerator"] = tampered.loc[later, "denominator"]  # wild future
    pd.testing.assert_frame_equal(before, detect(tampered, INDICATORS, as_of))
    pd.testing.assert_frame_equal(before, detect(obs[~later], INDICATORS, as_of))


def test_only_deterioration_counts():
    rng = np.random.default_rng(5)
    # 'down_bad' is worse when lower: a rise is good news, a fall is a signal.
    rise = municipality(rng, shifted="A1", factor=1.5, indicator="down_bad")
    assert (detect(rise, INDICATORS)["area_id"] != "A1").all()
    fall = municipality(rng, shifted="A1", factor=0.6, indicator="down_bad")
    found = detect(fall, INDICATORS)
    assert found.loc[found["severity"] == "alarm", "area_id"].tolist() == ["A1"]


def test_a_single_extreme_month_is_a_spike():
    # 100 expected a month, exactly, for two years; then 135: P(Poisson(100) >= 135) is
    # 0.000498, below the spike level of 0.001, while the GLR (about 3.4) stays below alarm.
    counts = [100.0] * 23 + [135.0]
    obs = pd.DataFrame(
        {
            "area_id": "A",
            "indicator_id": "up_bad",
            "period": PERIODS,
            "numerator": counts,
            "denominator": 10_000.0,
        }
    )
    [row] = detect(obs, INDICATORS).to_dict("records")
    assert (row["method"], row["severity"]) == ("spike", "watch")
    assert row["p_value"] == pytest.approx(0.000498, abs=1e-6)
    assert row["episode_start"] == PERIODS[-1]
    assert (row["observed"], row["expected"]) == (pytest.approx(0.0135), pytest.approx(0.01))


def test_a_steady_climb_the_model_expects_still_stands_out_in_the_funnel():
    # A0 has climbed 2 % a month for three years while seven areas stay at 5 %: its own
    # trend model expects the climb (no GLR signal), but its 12-month change is far worse
    # than the other areas' (funnel).
    months = np.arange(36)
    frames = []
    for i in range(8):
        rate = 0.05 * np.exp(0.02 * months) if i == 0 else np.full(36, 0.05)
        frames.append(
            pd.DataFrame(
                {
                    "area_id": f"A{i}",
                    "indicator_id": "up_bad",
                    "period": pd.date_range("2023-01-01", periods=36, freq="MS"),
                    "numerator": np.round(10_000 * rate),
                    "denominator": 10_000.0,
                }
            )
        )
    [row] = detect(pd.concat(frames), INDICATORS).to_dict("records")
    climb = np.round(10_000 * 0.05 * np.exp(0.02 * months))
    assert (row["area_id"], row["method"], row["severity"]) == ("A0", "funnel", "watch")
    assert row["observed"] == pytest.approx(climb[24:].sum() / 120_000)
    # expected: A0's own year before, times the change of all areas together (about 1.03)
    overall = (climb[24:].sum() + 7 * 6_000) / (climb[12:24].sum() + 7 * 6_000)
    assert row["expected"] == pytest.approx(climb[12:24].sum() / 120_000 * overall)
    assert "dårligere end i de øvrige områder" in row["explanation"]


def test_approaching_a_statutory_threshold():
    # Criterion-like share rising 8 % a year towards 40 %: the last 12 months average
    # 37.1 %, within 10 % of the threshold, and the trend crosses it within a year.
    months = np.arange(36)
    rate = 0.372 * np.exp(0.08 * (months - 30) / 12)
    obs = pd.DataFrame(
        {
            "area_id": "A",
            "indicator_id": "share",
            "period": pd.date_range("2023-01-01", periods=36, freq="MS"),
            "numerator": rate * 10_000,
            "denominator": 10_000.0,
        }
    )
    current = rate[-12:].mean()
    assert 0.36 < current < 0.40
    indicators = pd.DataFrame(
        {"indicator_id": ["share"], "worse_when": ["higher"], "statutory_threshold": [0.40]}
    )
    [row] = detect(obs, indicators).to_dict("records")
    assert (row["method"], row["severity"]) == ("threshold", "watch")
    assert row["observed"] == pytest.approx(current)
    assert row["expected"] == pytest.approx(current * np.exp(0.08), rel=1e-4)
    far = indicators.assign(statutory_threshold=0.50)
    assert detect(obs, far).empty


def test_approaching_the_threshold_is_reported_ahead_of_a_watch_not_an_alarm():
    # Series: alarm+near, spike+near, near+watch, near+funnel, watch+funnel, nothing.
    glr_alarm = np.array([1, 0, 0, 0, 0, 0], bool)
    spike = np.array([0, 1, 0, 0, 0, 0], bool)
    near = np.array([1, 1, 1, 1, 0, 0], bool)
    glr_watch = np.array([1, 0, 1, 0, 1, 0], bool)
    funnel = np.array([0, 0, 0, 1, 1, 0], bool)
    assert reported_method(glr_alarm, spike, near, glr_watch, funnel).tolist() == [
        "glr", "spike", "threshold", "threshold", "glr", "",
    ]  # fmt: skip


def test_too_short_a_history_gives_no_signal():
    # 17 months: 11 of history before the 6 guard months, one short of a fit.
    obs = municipality(np.random.default_rng(3), shifted="A1", factor=3.0, start=12)
    short = obs[obs["period"] < PERIODS[17]]
    assert detect(short, INDICATORS).empty
    assert not detect(obs[obs["period"] <= PERIODS[17]], INDICATORS).empty


def test_a_rolling_series_needs_two_years_of_history():
    # 24 months, the step in the last 6: 18 months of history.
    obs = municipality(np.random.default_rng(1), shifted="A3")
    rolling = INDICATORS.assign(rolling_window=["numerator", None])
    assert "glr" in set(detect(obs, INDICATORS)["method"])  # a monthly count: judged
    assert "glr" not in set(detect(obs, rolling)["method"])
    # A year before the same (the first year, before any step): 30 months of history.
    year_before = obs[obs["period"] < PERIODS[12]]
    longer = pd.concat(
        [year_before.assign(period=year_before["period"] - pd.DateOffset(years=1)), obs]
    )
    found = detect(longer, rolling)
    assert found.loc[found["method"] == "glr", "area_id"].tolist() == ["A3"]


def test_a_rolling_sum_keeps_at_least_its_own_autocorrelation():
    # A 12-month sum of independent months: lag k shares 12 - k of its 12 months.
    estimated = np.array([[0.55, 0.3, 0.1, 0.0, 0.0], [0.95, 0.9, 0.9, 0.9, 0.9]])
    floored = rolling_floor(estimated, np.array([True, True]))
    assert floored[0] == pytest.approx([11 / 12, 10 / 12, 9 / 12, 8 / 12, 7 / 12])
    assert floored[1] == pytest.approx(estimated[1])  # estimated higher: kept
    assert rolling_floor(estimated, np.array([False, False])) == pytest.approx(estimated)


def test_a_few_events_summed_month_after_month_do_not_alarm():
    # A0's rolling 12-month count goes 0, 0, 1, 2, 3, 4, 4, 4: four events in the year.
    # Taken as independent months that was an alarm; as the rolling sum it is (each event
    # counted up to 12 times), it is below the gate of 5 events (twenty-third session).
    rng = np.random.default_rng(5)
    periods = pd.date_range("2023-01-01", periods=36, freq="MS")
    frames = []
    for i in range(8):
        monthly = rng.poisson(0.1, 36 + 11).astype(float)
        if i == 0:
            monthly[-6:] += [1, 1, 1, 1, 0, 0]
        frames.append(
            pd.DataFrame(
                {
                    "area_id": f"A{i}",
                    "indicator_id": "up_bad",
                    "period": periods,
                    "numerator": np.convolve(monthly, np.ones(12), "valid"),
                    "denominator": 700.0,
                }
            )
        )
    obs = pd.concat(frames, ignore_index=True)
    assert obs.loc[obs["area_id"] == "A0", "numerator"].tolist()[-8:] == [0, 0, 1, 2, 3, 4, 4, 4]
    monthly_view = detect(obs, INDICATORS)
    assert monthly_view.loc[monthly_view["area_id"] == "A0", "severity"].tolist() == ["alarm"]
    rolling = detect(obs, INDICATORS.assign(rolling_window=["numerator", None]))
    assert "A0" not in set(rolling["area_id"])


def test_context_indicators_and_empty_input():
    obs = municipality(np.random.default_rng(6), shifted="A1", factor=2.0)
    context = pd.DataFrame({"indicator_id": ["up_bad"], "worse_when": ["context"]})
    assert detect(obs, context).empty
    assert detect(obs.iloc[0:0], INDICATORS).empty


def test_explanation_is_danish_with_decimal_commas():
    row = {
        "episode_start": pd.Timestamp("2025-09-01"),
        "observed": 0.3,
        "expected": 0.2,
        "score": 5.327,
        "q_value": 3.4e-7,
    }
    assert explain("glr", 1, row) == (
        "Siden september 2025 har niveauet været højere end forventet ud fra de foregående "
        "år (1,50 gange det forventede; styrke 5,3, q under 0,001)."
    )
    assert explain("spike", -1, {**row, "q_value": 0.0123}) == (
        "Måneden er usædvanligt lav i forhold til forventet (q = 0,012)."
    )
