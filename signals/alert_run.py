"""A month's alerting over the warehouse: episodes, digests, the queue and delivery.

Reads the month's signals (restricted), labels and published values; writes the episodes
and transitions (alerts schema) and queues one digest per recipient in the outbox. A
digest that cannot be rendered is reported and the others go on.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field, replace
from email.parser import BytesParser
from email.policy import default
from pathlib import Path

import pandas as pd

from signals import episode_store
from signals.digest import ESCALATED_TOKEN, Digest, Series, plan, render
from signals.episodes import DIRECTION, OPEN_STATES, Episode, Signal, Transition, advance
from signals.mail_queue import DeliveryReport, SmtpConfig, deliver, enqueue, read
from signals.routing import Routing, load_routing

HISTORY_MONTHS = 24


@dataclass
class AlertRunReport:
    month: dt.date
    transitions: list[Transition]
    queued: list[str] = field(default_factory=list)
    already: list[str] = field(default_factory=list)  # queued or sent before: not again
    failed: dict[str, str] = field(default_factory=dict)  # digest key -> error
    # shown by an earlier month's digest, which the store did not know (a crash)
    recorded: list[str] = field(default_factory=list)
    delivery: DeliveryReport = field(default_factory=DeliveryReport)


def latest_month(con) -> dt.date:
    [(month,)] = con.execute("select max(period) from marts.fct_area_indicator_month").fetchall()
    return pd.Timestamp(month).date()


def month_signals(con) -> list[Signal]:
    rows = con.execute(
        "select s.area_id, s.indicator_id, c.worse_when, s.severity, s.method, s.episode_start "
        "from signals.area_signals as s "
        "inner join reference.indicator_catalogue as c on s.indicator_id = c.indicator_id "
        "order by s.area_id, s.indicator_id"
    ).fetchall()
    return [
        Signal(area, indicator, DIRECTION[worse], severity, method, pd.Timestamp(onset).date())
        for area, indicator, worse, severity, method, onset in rows
    ]


def routing_from(con, env=os.environ) -> Routing:
    """The catalogue's departments, the contacts seed (or KVARTER_ALERT_CONTACTS) and the
    optional area contacts (KVARTER_ALERT_AREA_CONTACTS)."""
    catalogue = con.execute("select indicator_id, department from reference.indicator_catalogue")
    catalogue = catalogue.df()
    contacts_file = env.get("KVARTER_ALERT_CONTACTS")
    contacts = (
        pd.read_csv(contacts_file, dtype=str)
        if contacts_file
        else con.execute(
            "select department, department_name_da, contact_email "
            "from reference.department_contacts"
        ).df()
    )
    area_file = env.get("KVARTER_ALERT_AREA_CONTACTS")
    areas = {a for (a,) in con.execute("select area_id from marts.dim_area").fetchall()}
    return load_routing(
        catalogue, contacts, pd.read_csv(area_file, dtype=str) if area_file else None, areas
    )


def series_of(con, episodes: list[Episode], month: dt.date) -> dict[str, Series]:
    """Labels and the published series (last HISTORY_MONTHS months) of each episode."""
    if not episodes:
        return {}
    start = (pd.Timestamp(month) - pd.DateOffset(months=HISTORY_MONTHS - 1)).date()
    published = con.execute(
        "select area_id, indicator_id, period, value, suppressed, municipality_value "
        "from marts.fct_area_indicator_month where period between ? and ? "
        "order by area_id, indicator_id, period",
        (start, month),
    ).df()
    names = dict(con.execute("select area_id, area_name from marts.dim_area").fetchall())
    indicators = con.execute(
        "select indicator_id, name_da, definition, unit, display_scale from marts.dim_indicator"
    ).df()
    indicators = indicators.set_index("indicator_id")
    explanations = {
        (a, i): e
        for a, i, e in con.execute(
            "select area_id, indicator_id, explanation from signals.area_signals"
        ).fetchall()
    }
    found = {}
    for episode in episodes:
        if episode.indicator_id not in indicators.index:  # its digests fail, others go on
            continue
        indicator = indicators.loc[episode.indicator_id]
        history = published[
            (published["area_id"] == episode.area_id)
            & (published["indicator_id"] == episode.indicator_id)
        ]
        found[episode.episode_id] = Series(
            area_name=names.get(episode.area_id, episode.area_id),
            indicator_name=indicator["name_da"],
            definition=indicator["definition"],
            unit=indicator["unit"],
            display_scale=int(indicator["display_scale"]),
            explanation=explanations.get((episode.area_id, episode.indicator_id), ""),
            history=history.assign(period=pd.to_datetime(history["period"]).dt.date),
        )
    return found


def queue_digests(
    digests: list[Digest], series: dict[str, Series], outbox: Path, report: AlertRunReport
) -> set[str]:
    """Render and queue each digest on its own (one made already: its supplement, if it
    has news); the episode ids shown in full."""
    shown = set()
    folders = _folders(outbox)

    def made(key: str) -> bool:
        return any((folder / f"{key}.eml").exists() for folder in folders)

    def told(key: str) -> set[str] | None:
        """What the recipient's digest of the month and its supplements told (their
        `Digest.told`; None if one of them predates the list). One set aside counts: the recipient
        gets it when it is resent."""
        ids = set()
        for folder in folders:
            for path in [*folder.glob(f"{key}.eml"), *folder.glob(f"{key}-tillaeg-*.eml")]:
                mail = read(path)
                listed, escalated = mail["X-Kvarter-Episodes"], mail["X-Kvarter-Escalated"]
                if listed is None:
                    return None
                ids |= set(listed.split())
                # One from before the second header: an escalation it showed, by its id.
                escalated = listed if escalated is None else escalated
                ids |= {ESCALATED_TOKEN + i for i in escalated.split()}
        return ids

    for digest in digests:
        if not digest.worth_sending:
            continue
        if made(digest.key):
            report.already.append(digest.key)
            # What it showed counts as shown (recorded again after a crash between queueing
            # it and saving); a month delivered again can raise alarms it did not hold.
            listed = told(digest.key)
            shown |= {e.episode_id for e in digest.in_full} & (listed or set())
            digest = digest.untold(listed)
            if digest is None or made(digest.key):
                continue
        else:
            digest = digest.first_of_month()
        try:
            if not enqueue(outbox, digest.key, render(digest, series)):
                report.already.append(digest.key)
                continue
        except Exception as error:  # noqa: BLE001 - reported per digest, the others go on
            report.failed[digest.key] = f"{type(error).__name__}: {error}"
            continue
        report.queued.append(digest.key)
        shown |= {e.episode_id for e in digest.in_full}
    return shown


def _folders(outbox: Path) -> tuple[Path, Path, Path]:
    return outbox, outbox / "sent", outbox / "failed"  # queued, sent, set aside


def record_shown_in_outbox(con, outbox: Path, month: dt.date) -> list[str]:
    """Record as shown in full what the outbox's digests of months before `month` showed
    (`X-Kvarter-Episodes`) where the store does not know it: a run that crashed between
    queueing a digest and saving what it showed, with its month not run again, would
    otherwise have next month's digest tell those episodes as new once more. Returns the
    episode ids recorded."""
    behind = {
        e.episode_id: e
        for e in episode_store.load_episodes(con)
        if e.state in OPEN_STATES and (e.last_full_month is None or e.last_full_month < month)
    }
    if not behind:
        return []
    since = min(e.first_month for e in behind.values())
    latest: dict[str, dt.date] = {}
    for folder in _folders(outbox):
        for path in folder.glob("digest-*.eml"):
            try:
                shown = dt.datetime.strptime(path.name[7:14], "%Y-%m").date()  # Digest.key
            except ValueError:  # not a digest the alert step made
                continue
            if not since <= shown < month:
                continue
            with path.open("rb") as f:
                headers = BytesParser(policy=default).parse(f, headersonly=True)
            for episode_id in (headers["X-Kvarter-Episodes"] or "").split():
                if episode_id in behind:
                    latest[episode_id] = max(latest.get(episode_id, shown), shown)
    recorded = [
        replace(behind[i], last_full_month=m)
        for i, m in sorted(latest.items())
        if behind[i].last_full_month is None or behind[i].last_full_month < m
    ]
    episode_store.save(con, recorded, [])
    return [e.episode_id for e in recorded]


def apply_month(con, run_id: str) -> tuple[dt.date, list[Transition]]:
    """The latest month's signals applied to the episodes; a month already applied
    changes nothing (no transitions)."""
    month = latest_month(con)
    episode_store.ensure_schema(con)
    # A hidden cell has its row: only a series with no data that month has none.
    cells = con.execute(
        "select area_id, indicator_id, suppressed from marts.fct_area_indicator_month"
        " where period = ?",
        [month],
    ).fetchall()
    observed = {(area, indicator) for area, indicator, _ in cells}
    hidden = {(area, indicator) for area, indicator, suppressed in cells if suppressed}
    episodes, transitions = advance(
        episode_store.load_episodes(con), month_signals(con), month, run_id, observed, hidden
    )
    episode_store.save(con, episodes, transitions)
    return month, transitions


def month_digests(
    con, month: dt.date, routing: Routing
) -> tuple[list[Digest], dict[str, Series]]:
    """The month's digests (`plan`) and the published series they name (`series_of`), as
    the alert step queues them and `kvarter alerts preview` shows them."""
    everything = episode_store.load_episodes(con)
    # The digests go to the departments beside the published copy: an episode that names
    # a hidden month, or whose series is hidden this month, is left out, as its state or
    # severity would tell something of the hidden value. It stays in the restricted store
    # (`kvarter alerts list`).
    allowed = episode_store.mailable_ids(con, month)
    mailable = [e for e in everything if e.episode_id in allowed]
    digests = plan(mailable, episode_store.transitions_of(con, month=month), month, routing)
    mailed = {e.episode_id for d in digests for e in d.in_full + d.ongoing_short + d.resolved}
    return digests, series_of(con, [e for e in mailable if e.episode_id in mailed], month)


def mail_month(
    con,
    outbox: Path,
    month: dt.date,
    transitions: list[Transition],
    routing: Routing,
    smtp: SmtpConfig | None,
    now: dt.datetime | None = None,
) -> AlertRunReport:
    """The month's episodes -> digests -> outbox -> SMTP (if configured)."""
    report = AlertRunReport(month, transitions)
    report.recorded = record_shown_in_outbox(con, outbox, month)
    digests, series = month_digests(con, month, routing)
    shown = queue_digests(digests, series, outbox, report)
    shown_now = [e for e in episode_store.load_episodes(con) if e.episode_id in shown]
    episode_store.save(con, [replace(e, last_full_month=month) for e in shown_now], [])
    report.delivery = deliver(outbox, smtp, now)
    return report


def run_month(
    con,
    outbox: Path,
    run_id: str,
    smtp: SmtpConfig | None,
    now: dt.datetime | None = None,
) -> AlertRunReport:
    """The latest month's signals -> episodes -> digests -> outbox -> SMTP (if configured)."""
    routing = routing_from(con)  # a configuration error stops before anything is written
    month, transitions = apply_month(con, run_id)
    return mail_month(con, outbox, month, transitions, routing, smtp, now)
