import numpy as np
import pandas as pd
import pytest

from signals import detect
from signals.detect import OUTPUT_COLUMNS, benjamini_hochberg, explain

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


def test_injected_step_is_found_with_its_episode_start():
    obs = municipality(np.random.default_rng(1), shifted="A3")
    found = detect(obs, INDICATORS)
    assert list(found.columns) == OUTPUT_COLUMNS
    assert found[["area_id", "indicator_id", "severity"]].values.tolist() == [
        ["A3", "up_bad", "alarm"]
    ]
    row = found.iloc[0]
    assert row["period"] == PERIODS[-1]
    assert PERIODS[18] <= row["episode_start"] <= PERIODS[19]
    assert row["observed"] > row["expected"] and row["q_value"] < 0.01
    assert "højere" in row["explanation"]


def test_null_series_stay_quiet_at_every_month():
    rng = np.random.default_rng(2)
    obs = pd.concat([municipality(rng) for _ in range(3)], keys=range(3)).reset_index(level=0)
    obs["area_id"] = obs["area_id"] + "_" + obs["level_0"].astype(str)
    obs = obs.drop(columns="level_0")
    for as_of in PERIODS[17:]:
        assert detect(obs, INDICATORS, as_of).empty, as_of


def test_small_counts_never_alarm():
    # A small area with no events for 21 months and then 1, 2, 1: a huge relative jump,
    # but 4 events in the recent window are below the gate of 5. With 2, 2, 2 the same
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
    obs = municipality(np.random.default_rng(4), shifted="A2", start=20)
    as_of = PERIODS[17]
    before = detect(obs, INDICATORS, as_of)
    tampered = obs.copy()
    later = tampered["period"] > as_of
    tampered.loc[later, "numerator"] = tampered.loc[later, "denominator"]  # wild future
    pd.testing.assert_frame_equal(before, detect(tampered, INDICATORS, as_of))
    pd.testing.assert_frame_equal(before, detect(obs[~later], INDICATORS, as_of))


def test_only_deterioration_counts():
    rng = np.random.default_rng(5)
    # 'down_bad' is worse when lower: a rise is good news, a fall is a signal.
    rise = municipality(rng, shifted="A1", factor=1.5, indicator="down_bad")
    assert detect(rise, INDICATORS).empty
    fall = municipality(rng, shifted="A1", factor=0.6, indicator="down_bad")
    assert fall.pipe(detect, INDICATORS)["area_id"].tolist() == ["A1"]


def test_context_indicators_and_empty_input():
    obs = municipality(np.random.default_rng(6), shifted="A1", factor=2.0)
    context = pd.DataFrame({"indicator_id": ["up_bad"], "worse_when": ["context"]})
    assert detect(obs, context).empty
    assert detect(obs.iloc[0:0], INDICATORS).empty


def test_explanation_is_danish_with_decimal_commas():
    assert explain(1, 5.327, 3.4e-7) == (
        "Niveauet de seneste 3 måneder er markant højere end i de 12 måneder, der sluttede "
        "3 måneder før (afvigelse 5,3 standardafvigelser, q under 0,001)."
    )
    assert explain(-1, 2.46, 0.0123).endswith(
        "lavere end i de 12 måneder, der sluttede "
        "3 måneder før (afvigelse 2,5 standardafvigelser, "
        "q = 0,012)."
    )
