"""The detection benchmark's own arithmetic, checked by hand on tiny inputs."""

import numpy as np
import pytest

from benchmarks.signals.baselines import ears_c2, relative_change_12m
from benchmarks.signals.run import calibrate, detection, episodes
from benchmarks.signals.simulate import HISTORY, MONTHS, simulate


def test_episodes_are_runs_and_a_watch_run_holds_one_alarm_episode():
    alarms = np.array([[1, 1, 0, 1, 0, 0], [0, 0, 0, 0, 0, 1]], dtype=bool)
    assert episodes(alarms) == 3
    # With watch months between them, the first row's two alarms are one episode.
    watch = np.array([[1, 1, 1, 1, 0, 0], [0, 0, 0, 0, 0, 1]], dtype=bool)
    assert episodes(alarms, watch) == 2


def test_calibration_finds_the_threshold_of_the_target_rate():
    # 12 series x 12 months = 12 series-years; one excursion of 5.0 is 8.3 per 100.
    stat = np.zeros((12, 12))
    stat[3, 4] = 5.0
    stat[7, 2] = 3.0
    assert calibrate(stat, 10.0) == pytest.approx(3.0, abs=1e-6)  # 5.0 alone is allowed
    assert calibrate(stat, 5.0) == pytest.approx(5.0, abs=1e-6)  # nothing may alarm


def test_detection_counts_alarms_from_onset_to_five_months_after():
    stat = np.array([[0, 0, 9, 0, 0, 0, 0, 0, 0], [9, 0, 0, 0, 0, 0, 0, 0, 9]], dtype=float)
    found, delay = detection(stat, np.array([1, 1]), np.full(stat.shape, 5.0))
    assert found.tolist() == [True, False]  # row 2: alarm before onset, then 7 months late
    assert delay[0] == 1 and np.isnan(delay[1])


def test_baselines_by_hand():
    d = np.full((1, 24), 100.0)
    y = np.concatenate([np.full(12, 10.0), np.full(12, 15.0)])[None, :]
    assert relative_change_12m(y, d, 23) == pytest.approx([0.5])
    y = np.array([[1, 2, 3, 4, 5, 6, 7, 0, 0, 10]], dtype=float)
    # months 0-6 at rate 0.04 on average, sd 0.0216; month 9 at 0.1
    expected = (0.1 - 0.04) / 0.021602
    assert ears_c2(y, np.full((1, 10), 100.0), 9) == pytest.approx([expected], rel=1e-4)


def test_simulation_is_deterministic_and_injects_from_onset():
    a, b = (simulate(seed=1, null_replicates=1, replicates=1) for _ in range(2))
    assert np.array_equal(a.y, b.y) and a.y.shape == (len(a.series), MONTHS)
    injected = a.series["shape"] != "null"
    assert a.series.loc[injected, "onset"].between(HISTORY, 107).all()
    assert (a.series.loc[~injected, "onset"] == -1).all()
