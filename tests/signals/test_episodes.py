import datetime as dt
from dataclasses import replace

import duckdb
import pytest

from signals import episode_store
from signals.episodes import Signal, advance, silence

D = dt.date


ONSET = D(2025, 9, 1)


def signal(severity="alarm", method="glr", onset=ONSET, area="BO04"):
    return Signal(area, "emp_outside_work_edu", "op", severity, method, onset)


@pytest.fixture
def con(tmp_path):
    con = duckdb.connect(str(tmp_path / "w.duckdb"))
    episode_store.ensure_schema(con)
    yield con
    con.close()


def run(con, month, signals, run_id=None):
    episodes, transitions = advance(
        episode_store.load_episodes(con), signals, month, run_id or f"run-{month:%Y-%m}"
    )
    episode_store.save(con, episodes, transitions)
    return {e.episode_id: e for e in episode_store.load_episodes(con)}


def states(con):
    return [
        (t.month.month, t.from_state, t.to_state)
        for t in episode_store.transitions_of(con, "BO04-emp_outside_work_edu-op-2025-09")
    ]


def test_life_cycle_new_ongoing_escalated_resolved(con):
    run(con, D(2025, 9, 1), [signal("watch")])
    run(con, D(2025, 10, 1), [signal("watch", onset=D(2025, 8, 1))])  # onset re-estimated
    # A later estimate (or a method that dates itself to its own month) leaves it.
    run(con, D(2025, 11, 1), [signal("alarm")])
    episodes = run(con, D(2025, 11, 1), [signal("alarm")])  # the same month again: no change
    assert list(episodes) == ["BO04-emp_outside_work_edu-op-2025-09"]
    [episode] = episodes.values()
    assert (episode.state, episode.severity, episode.peak_severity) == ("skærpet", "alarm", "alarm")
    assert episode.onset == D(2025, 8, 1)
    run(con, D(2025, 12, 1), [signal("watch", method="funnel", onset=D(2025, 12, 1))])
    assert run(con, D(2025, 12, 1), [])["BO04-emp_outside_work_edu-op-2025-09"].onset == D(
        2025, 8, 1
    )
    run(con, D(2026, 1, 1), [])  # one quiet month: still open
    assert states(con)[-1] == (12, "skærpet", "igangværende")
    run(con, D(2026, 2, 1), [])  # two quiet months: resolved
    assert states(con) == [
        (9, None, "ny"),
        (10, "ny", "igangværende"),
        (11, "igangværende", "skærpet"),
        (12, "skærpet", "igangværende"),
        (2, "igangværende", "afsluttet"),
    ]
    # A signal after the episode is resolved opens a new one.
    episodes = run(con, D(2026, 3, 1), [signal()])
    assert sorted(episodes) == [
        "BO04-emp_outside_work_edu-op-2025-09",
        "BO04-emp_outside_work_edu-op-2026-03",
    ]
    assert episodes["BO04-emp_outside_work_edu-op-2026-03"].state == "ny"


def test_a_month_delivered_again_can_escalate_an_episode_not_age_it(con):
    run(con, D(2025, 9, 1), [signal("watch")])
    run(con, D(2025, 10, 1), [signal("watch")])
    [episode] = run(con, D(2025, 10, 1), [signal("alarm")], "run-again").values()
    assert (episode.state, episode.severity, episode.peak_severity) == ("skærpet", "alarm", "alarm")
    [*_, last] = episode_store.transitions_of(con, episode.episode_id)
    assert (last.month, last.run_id, last.note) == (
        D(2025, 10, 1), "run-again", "watch -> alarm (glr), leveret igen"
    )
    run(con, D(2025, 10, 1), [signal("alarm")], "run-third")  # once more: nothing new
    assert states(con) == [(9, None, "ny"), (10, "ny", "igangværende"),
                           (10, "igangværende", "skærpet")]  # fmt: skip
    # Silent in November, then November delivered again with the signal: still open in a
    # silent December (two months after October's signal, one after November's).
    run(con, D(2025, 11, 1), [])
    run(con, D(2025, 11, 1), [signal("alarm")])
    [episode] = run(con, D(2025, 12, 1), []).values()
    assert (episode.state, episode.last_signal_month) == ("skærpet", D(2025, 11, 1))


def test_a_month_delivered_again_with_a_signal_reopens_the_episode_it_closed(con):
    run(con, D(2025, 9, 1), [signal()])
    run(con, D(2025, 10, 1), [])
    run(con, D(2025, 11, 1), [])  # closed
    episodes = run(con, D(2025, 11, 1), [signal()])  # November delivered again
    assert list(episodes) == ["BO04-emp_outside_work_edu-op-2025-09"]
    [episode] = episodes.values()
    assert (episode.state, episode.last_signal_month) == ("igangværende", D(2025, 11, 1))
    assert states(con) == [
        (9, None, "ny"), (11, "ny", "afsluttet"), (11, "afsluttet", "igangværende"),
    ]  # fmt: skip


def test_a_month_delivered_again_does_not_end_a_silence_or_raise_a_silenced_episode(con):
    [episode] = run(con, D(2025, 9, 1), [signal("watch")]).values()
    silenced, transition = silence(episode, D(2025, 9, 15), "mette", "kendt", "cli")
    episode_store.save(con, [silenced], [transition])
    [episode] = run(con, D(2025, 9, 1), [signal("alarm")]).values()
    assert (episode.state, episode.silenced_by) == ("dæmpet", "mette")
    assert states(con) == [(9, None, "ny"), (9, "ny", "dæmpet")]


def test_a_month_never_applied_is_not_counted_as_quiet(con):
    # November's run failed (a source late); it arrived with December's, which is applied.
    run(con, D(2025, 9, 1), [signal()])
    run(con, D(2025, 10, 1), [signal()])
    [episode] = run(con, D(2025, 12, 1), []).values()
    assert (episode.state, episode.quiet_months) == ("igangværende", 1)
    [episode] = run(con, D(2026, 1, 1), []).values()
    assert episode.state == "afsluttet" and states(con)[-1] == (1, "igangværende", "afsluttet")


def test_a_month_without_data_for_the_series_is_not_quiet(con):
    # School absence has no July: June's alarm closes after August and September without
    # a signal, not after August alone (before the twenty-third session).
    run(con, D(2025, 6, 1), [signal()])
    episodes, transitions = advance(
        episode_store.load_episodes(con), [], D(2025, 7, 1), "run-07", observed=set()
    )
    episode_store.save(con, episodes, transitions)
    [episode] = run(con, D(2025, 8, 1), []).values()
    assert (episode.state, episode.quiet_months) == ("ny", 1)
    [episode] = run(con, D(2025, 9, 1), []).values()
    transitions = episode_store.transitions_of(con, episode.episode_id)
    assert [(t.month, t.to_state) for t in transitions] == [
        (D(2025, 6, 1), "ny"), (D(2025, 9, 1), "afsluttet")
    ]  # fmt: skip


def test_a_hidden_month_is_invisible_to_the_episode(con):
    """The series' cell of October is hidden: October's alarm does not escalate the watch
    of September, and November's silence does not end there; a signal in a hidden month
    opens nothing either. Every transition names a published month, so the episode can be
    mailed and published (README, Alerts)."""
    series = {("BO04", "emp_outside_work_edu")}

    def hidden_run(month, signals):
        episodes, transitions = advance(
            episode_store.load_episodes(con), signals, month, f"run-{month:%Y-%m}", hidden=series
        )
        episode_store.save(con, episodes, transitions)

    run(con, D(2025, 9, 1), [signal("watch")])
    hidden_run(D(2025, 10, 1), [signal("alarm")])
    [episode] = episode_store.load_episodes(con)
    assert (episode.state, episode.severity, episode.last_month) == ("ny", "watch", D(2025, 9, 1))
    silenced, transition = silence(episode, D(2025, 11, 1), "mette", "kendt", "cli")
    episode_store.save(con, [silenced], [transition])
    hidden_run(D(2025, 11, 1), [])
    [episode] = episode_store.load_episodes(con)
    assert (episode.state, episode.quiet_months) == ("dæmpet", 0)
    [episode] = run(con, D(2025, 12, 1), [signal("alarm")]).values()
    assert episode.state == "skærpet"
    assert states(con) == [
        (9, None, "ny"), (9, "ny", "dæmpet"), (12, "dæmpet", "igangværende"),
        (12, "igangværende", "skærpet"),
    ]  # fmt: skip
    assert advance([], [signal(area="BO04")], D(2026, 1, 1), "r", hidden=series) == ([], [])


def test_a_threshold_approach_escalates_an_ongoing_watch(con):
    run(con, D(2025, 9, 1), [signal("watch", method="funnel")])
    run(con, D(2025, 10, 1), [signal("watch", method="funnel")])
    [episode] = run(con, D(2025, 11, 1), [signal("watch", method="threshold")]).values()
    assert episode.state == "skærpet" and states(con)[-1] == (11, "igangværende", "skærpet")


def test_a_series_back_near_its_threshold_is_not_escalated_again(con):
    # Threshold, the funnel, threshold again: escalated the first time only (before the
    # twenty-fourth session every return to the threshold was told as escalated).
    run(con, D(2025, 9, 1), [signal("watch", method="funnel")])
    for month, method in ((10, "threshold"), (11, "funnel"), (12, "threshold")):
        [episode] = run(con, D(2025, month, 1), [signal("watch", method=method)]).values()
    assert (episode.state, episode.reached_threshold) == ("igangværende", True)
    assert states(con) == [(9, None, "ny"), (10, "ny", "skærpet"), (11, "skærpet", "igangværende")]
    # Opened by a threshold signal: a later one is no escalation either.
    run(con, D(2026, 3, 1), [signal("watch", method="threshold", area="BO05")])
    run(con, D(2026, 4, 1), [signal("watch", method="funnel", area="BO05")])
    episodes = run(con, D(2026, 5, 1), [signal("watch", method="threshold", area="BO05")])
    assert episodes["BO05-emp_outside_work_edu-op-2026-03"].state == "igangværende"


def test_an_alarm_back_from_a_watch_is_not_escalated_again(con):
    run(con, D(2025, 9, 1), [signal("watch")])
    run(con, D(2025, 10, 1), [signal("alarm")])
    run(con, D(2025, 11, 1), [signal("watch")])
    [episode] = run(con, D(2025, 12, 1), [signal("alarm")]).values()
    assert (episode.state, episode.severity) == ("igangværende", "alarm")
    assert states(con) == [(9, None, "ny"), (10, "ny", "skærpet"), (11, "skærpet", "igangværende")]


def test_a_silence_holds_until_its_date_then_the_episode_is_ongoing_again(con):
    [episode] = run(con, D(2025, 9, 1), [signal()]).values()
    episode = replace(episode, last_full_month=D(2025, 9, 1))  # September's digest showed it
    silenced, transition = silence(episode, D(2025, 11, 1), "mette", "kendt: ny afdeling", "cli")
    episode_store.save(con, [silenced], [transition])
    [episode] = run(con, D(2025, 10, 1), [signal()]).values()
    assert (episode.state, episode.silenced_by) == ("dæmpet", "mette")
    [episode] = run(con, D(2025, 11, 1), [signal()]).values()
    assert episode.state == "igangværende" and episode.silenced_until is None
    assert states(con) == [
        (9, None, "ny"),
        (9, "ny", "dæmpet"),
        (11, "dæmpet", "igangværende"),
    ]
    [note] = [t.note for t in episode_store.transitions_of(con) if t.to_state == "dæmpet"]
    assert note == "til 2025-11-01 af mette: kendt: ny afdeling"


def test_an_episode_silenced_before_any_digest_showed_it_comes_back_as_new(con):
    # Silenced the month it opened, before the digest went out: nobody has heard of it.
    [episode] = run(con, D(2025, 9, 1), [signal()]).values()
    silenced, transition = silence(episode, D(2025, 11, 1), "mette", "kendt", "cli")
    episode_store.save(con, [silenced], [transition])
    [episode] = run(con, D(2025, 11, 1), [signal()]).values()
    assert episode.state == "ny"
    [episode] = run(con, D(2025, 12, 1), [signal()]).values()
    assert episode.state == "igangværende"
    assert states(con) == [
        (9, None, "ny"), (9, "ny", "dæmpet"), (11, "dæmpet", "ny"), (12, "ny", "igangværende"),
    ]  # fmt: skip


def test_a_watch_silenced_comes_back_as_ongoing():
    # Watches are never mailed, so "not shown yet" says nothing of them.
    [episode] = advance([], [signal("watch")], D(2025, 9, 1), "r")[0]
    silenced, _ = silence(episode, D(2025, 11, 1), "mette", "kendt", "cli")
    [back], [transition] = advance([silenced], [signal("watch")], D(2025, 11, 1), "r")
    assert (back.state, transition.to_state) == ("igangværende", "igangværende")


def test_a_silence_needs_a_reason(con):
    [episode] = run(con, D(2025, 9, 1), [signal()]).values()
    with pytest.raises(ValueError, match="begrundelse"):
        silence(episode, D(2025, 11, 1), "mette", " ", "cli")
