"""Alert episodes and their life cycle, month by month (pure: persistence is episode_store.py).

One episode per area, indicator and direction while it lasts. Its id is fixed when it
opens (area, indicator, direction and first month), so the detector re-estimating the
onset updates the episode and never opens a second one.

    ny -> igangværende -> skærpet (watch -> alarm, or approaching the statutory threshold
    for the first time in the episode)
    any open state -> afsluttet after QUIET_MONTHS months applied with a published cell of
    the series and without a signal: its observations, so a quarterly series counts its
    quarter ends (a month never applied, such as one whose extract failed for a late
    source and that arrived with a later one, is not counted: nothing was seen of it; nor
    is a month whose cell is hidden, which no signal or date moves the episode in)
    any open state -> dæmpet (silenced until a date, by whom, why) -> back when it expires,
    as igangværende, or as ny if an alarm no digest had shown yet

A month is applied once: re-running a month already applied changes nothing, except
that its data, delivered again, can escalate an open episode (or keep it open longer).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace

NEW, ONGOING, ESCALATED, RESOLVED, SILENCED = "ny", "igangværende", "skærpet", "afsluttet", "dæmpet"
OPEN_STATES = (NEW, ONGOING, ESCALATED, SILENCED)
QUIET_MONTHS = 2
SEVERITY_RANK = {"watch": 1, "alarm": 2}
DIRECTION = {"higher": "op", "lower": "ned"}


@dataclass(frozen=True)
class Signal:
    """One series in a signal state in a month (a row of signals.area_signals)."""

    area_id: str
    indicator_id: str
    direction: str  # op | ned
    severity: str  # watch | alarm
    method: str
    onset: dt.date


@dataclass(frozen=True)
class Episode:
    episode_id: str
    area_id: str
    indicator_id: str
    direction: str
    state: str
    severity: str
    peak_severity: str
    method: str
    onset: dt.date
    first_month: dt.date
    last_signal_month: dt.date
    last_month: dt.date  # the latest month applied that showed its series
    silenced_until: dt.date | None = None
    silenced_by: str | None = None
    silence_reason: str | None = None
    last_full_month: dt.date | None = None  # when a digest last showed it in full
    quiet_months: int = 0  # months applied with data and no signal since its last one
    reached_threshold: bool = False  # a threshold signal in any month of the episode

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.area_id, self.indicator_id, self.direction)

    @property
    def mailed(self) -> bool:
        """Only episodes that reached alarm are mailed; watches are for the dashboard."""
        return self.peak_severity == "alarm"


@dataclass(frozen=True)
class Transition:
    episode_id: str
    month: dt.date
    run_id: str
    from_state: str | None
    to_state: str
    note: str


def episode_id(signal: Signal, month: dt.date) -> str:
    return f"{signal.area_id}-{signal.indicator_id}-{signal.direction}-{month:%Y-%m}"


def months_between(earlier: dt.date, later: dt.date) -> int:
    return (later.year - earlier.year) * 12 + later.month - earlier.month


def _escalates(episode: Episode, signal: Signal) -> bool:
    """Worse than the episode has been: an alarm that fell back to a watch and rises
    again, or a series that approaches its threshold again after other signals, is
    ongoing, not escalated a second time (its recipients were told)."""
    return SEVERITY_RANK[signal.severity] > SEVERITY_RANK[episode.peak_severity] or (
        signal.method == "threshold" and not episode.reached_threshold
    )


def advance(
    episodes: list[Episode],
    signals: list[Signal],
    month: dt.date,
    run_id: str,
    observed: set[tuple[str, str]] | None = None,
    hidden: frozenset[tuple[str, str]] | set[tuple[str, str]] = frozenset(),
) -> tuple[list[Episode], list[Transition]]:
    """The episodes after `month`'s signals, and the transitions that made them.

    `observed`: the (area, indicator) series with data in `month` (None: all). A month
    without data for a series (no school in July) is not a quiet month for its episode.
    `hidden`: the series whose cell of `month` disclosure control hides. The month is
    invisible to their episodes: a signal there neither opens nor moves one, and it is no
    quiet month (nor ends a silence); the episode waits for the series' next published
    month. So no episode names a hidden month, which would keep it from every digest and
    the published copy for good (its state there tells something of the hidden value).
    Returns every open or newly changed episode; unchanged closed ones are left out.
    """
    signals = [s for s in signals if (s.area_id, s.indicator_id) not in hidden]
    open_by_key = {e.key: e for e in episodes if e.state in OPEN_STATES}
    # Closed when this month was applied: the month delivered again with a signal reopens
    # it, rather than a second episode of the same series opening in the same month.
    closed_now = {e.key: e for e in episodes if e.state == RESOLVED and e.last_month == month}
    transitions: list[Transition] = []
    result: dict[str, Episode] = {}

    def move(episode: Episode, to_state: str, note: str) -> Episode:
        transitions.append(
            Transition(episode.episode_id, month, run_id, episode.state, to_state, note)
        )
        return replace(episode, state=to_state)

    for signal in signals:
        key = (signal.area_id, signal.indicator_id, signal.direction)
        episode = open_by_key.pop(key, None)
        if episode is None and key in closed_now:
            episode = move(closed_now.pop(key), ONGOING, "leveret igen")
        if episode is None:
            new = Episode(
                episode_id=episode_id(signal, month),
                area_id=signal.area_id,
                indicator_id=signal.indicator_id,
                direction=signal.direction,
                state=NEW,
                severity=signal.severity,
                peak_severity=signal.severity,
                method=signal.method,
                onset=signal.onset,
                first_month=month,
                last_signal_month=month,
                last_month=month,
                reached_threshold=signal.method == "threshold",
            )
            transitions.append(
                Transition(new.episode_id, month, run_id, None, NEW, signal.severity)
            )
            result[new.episode_id] = new
            continue
        if month < episode.last_month:  # a later month is applied already
            result[episode.episode_id] = episode
            continue
        # The month applied already, delivered again: its data can raise the episode (told
        # in a supplement digest), not age it.
        again = month == episode.last_month
        back = not again and episode.state == SILENCED and episode.silenced_until <= month
        if back:
            episode = unsilence(episode, month, run_id, transitions, "dæmpning udløbet")
        if episode.state != SILENCED:
            if _escalates(episode, signal):
                note = f"{episode.severity} -> {signal.severity} ({signal.method})"
                episode = move(episode, ESCALATED, note + (", leveret igen" if again else ""))
            elif episode.state in (NEW, ESCALATED) and not again and not back:
                episode = move(episode, ONGOING, "")
        result[episode.episode_id] = replace(
            episode,
            severity=signal.severity,
            peak_severity=max(episode.peak_severity, signal.severity, key=SEVERITY_RANK.get),
            reached_threshold=episode.reached_threshold or signal.method == "threshold",
            method=signal.method,
            # The detector's re-estimate may move it earlier, never later: a funnel, spike
            # or threshold signal dates itself to its own month.
            onset=min(episode.onset, signal.onset),
            last_signal_month=month,
            last_month=month,
            quiet_months=0,
        )

    for episode in open_by_key.values():  # open, without a signal this month
        if month > episode.last_month and (episode.area_id, episode.indicator_id) not in hidden:
            seen = observed is None or (episode.area_id, episode.indicator_id) in observed
            quiet = episode.quiet_months + seen
            if quiet >= QUIET_MONTHS:
                episode = move(episode, RESOLVED, f"{QUIET_MONTHS} måneder med data uden signal")
            elif episode.state == SILENCED and episode.silenced_until <= month:
                episode = unsilence(episode, month, run_id, transitions, "dæmpning udløbet")
            episode = replace(episode, last_month=month, quiet_months=quiet)
        result[episode.episode_id] = episode
    return list(result.values()), transitions


def silence(
    episode: Episode, until: dt.date, by: str, reason: str, run_id: str
) -> tuple[Episode, Transition]:
    if episode.state not in OPEN_STATES:
        raise ValueError(f"episode {episode.episode_id} er {episode.state}; kan ikke dæmpes")
    if not reason.strip():
        raise ValueError("en dæmpning skal have en begrundelse (--reason)")
    silenced = replace(
        episode,
        state=SILENCED,
        silenced_until=until,
        silenced_by=by,
        silence_reason=reason,
    )
    note = f"til {until:%Y-%m-%d} af {by}: {reason}"
    return silenced, Transition(
        episode.episode_id, episode.last_month, run_id, episode.state, SILENCED, note
    )


def unsilence(
    episode: Episode,
    month: dt.date,
    run_id: str,
    transitions: list[Transition],
    note: str,
) -> Episode:
    if episode.state != SILENCED:
        raise ValueError(f"episode {episode.episode_id} er ikke dæmpet")
    # Back as ongoing when a digest showed it before it was silenced; an alarm none showed
    # (silenced the month it opened, before its digest went out) as new, so that every
    # recipient's digest of the month tells it as new. A watch is never mailed: ongoing.
    state = NEW if episode.mailed and episode.last_full_month is None else ONGOING
    transitions.append(Transition(episode.episode_id, month, run_id, SILENCED, state, note))
    return replace(
        episode,
        state=state,
        silenced_until=None,
        silenced_by=None,
        silence_reason=None,
    )
