"""One Danish digest per recipient per month: which episodes, in which order, and the mail.

Sections, in order: new (also any episode no digest has shown yet), escalated, reopened
(closed this month and told so, then reopened by the month delivered again; each in full
with its published series, the level expected from the published months before the onset,
the municipality and an inline chart), ongoing (in full at most every FULL_EVERY months,
otherwise one line) and resolved.
Silenced episodes and episodes that never reached alarm are left out. A recipient with
only short ongoing lines gets no digest that month.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import os
import re
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.utils import format_datetime

import pandas as pd

from signals.alerts import (
    DEFAULT_SENDER,
    SEVERITY_DA,
    area_link,
    format_value,
    header_text,
    month_da,
    safe_explanation,
)
from signals.chart import series_png
from signals.episodes import (
    ESCALATED,
    NEW,
    ONGOING,
    RESOLVED,
    SEVERITY_RANK,
    Episode,
    Transition,
    months_between,
)
from signals.routing import Recipient, Routing

FULL_EVERY = 3
ESCALATED_TOKEN = "skaerpet:"  # in Digest.told: an episode told as escalated (`escalation`)
SHOWN_MONTHS = 6
BASELINE_MONTHS = 12
DIRECTION_DA = {"op": "stigende", "ned": "faldende"}


@dataclass(frozen=True)
class Series:
    """What a digest may say about one episode's series: labels and published numbers."""

    area_name: str
    indicator_name: str
    definition: str
    unit: str
    display_scale: int
    explanation: str  # the detector's, before safe_explanation
    history: pd.DataFrame  # published: period, value, suppressed, municipality_value

    def names(self, month: dt.date, words: str) -> str:
        """`words` and the month, where the month's cell is published; else nothing: a
        digest names no month whose value is hidden (the state in it says something)."""
        periods = pd.to_datetime(self.history["period"]).dt.date
        shown = ~self.history["suppressed"].astype(bool)
        return f" {words} {month_da(month)}" if (shown & (periods == month)).any() else ""


@dataclass
class Digest:
    recipient: Recipient
    month: dt.date
    new: list[Episode] = field(default_factory=list)
    escalated: list[Episode] = field(default_factory=list)
    reopened: list[Episode] = field(default_factory=list)
    ongoing_full: list[Episode] = field(default_factory=list)
    ongoing_short: list[Episode] = field(default_factory=list)
    resolved: list[Episode] = field(default_factory=list)
    # A supplement: the month's news that its digest, made already, did not hold (the
    # month delivered again raised more alarms, or a silence was lifted by hand).
    supplement: bool = False

    @property
    def key(self) -> str:
        """Stable per recipient and month (a supplement: and its episodes): the outbox
        file name and the Message-ID."""
        slug = re.sub(r"[^a-z0-9]+", "-", self.recipient.address.lower()).strip("-")
        digest = hashlib.sha256(self.recipient.address.lower().encode()).hexdigest()[:8]
        key = f"digest-{self.month:%Y-%m}-{slug}-{digest}"
        if self.supplement:  # by section too: an episode told, then escalated, is news
            told = "\n".join(sorted(self.told))
            key += "-tillaeg-" + hashlib.sha256(told.encode()).hexdigest()[:8]
        return key

    @property
    def told(self) -> set[str]:
        """What it tells in full: each episode's id, and ESCALATED_TOKEN + `escalation` for
        an escalated one (the mail's X-Kvarter-Episodes and X-Kvarter-Escalated)."""
        return {e.episode_id for e in self.in_full} | {
            ESCALATED_TOKEN + escalation(e) for e in self.escalated
        }

    def untold(self, told: set[str] | None) -> Digest | None:
        """The supplement of this digest: its new, escalated and reopened episodes that
        the recipient's digests of the month did not tell (`told`: their `told`; None for
        digests from before they listed them: then those not shown to anyone), if any.
        An escalation is news to a recipient told the episode before it escalated."""

        def news(episode: Episode, section: str) -> bool:
            if told is None:
                return episode.last_full_month != self.month
            if section == "escalated":
                return not escalation_told(episode, told)
            return episode.episode_id not in told

        new = [e for e in self.new if news(e, "new")]
        escalated = [e for e in self.escalated if news(e, "escalated")]
        reopened = [e for e in self.reopened if news(e, "reopened")]
        if not (new or escalated or reopened):
            return None
        return Digest(
            self.recipient, self.month, new=new, escalated=escalated, reopened=reopened,
            supplement=True,
        )  # fmt: skip

    def first_of_month(self) -> Digest:
        """As the recipient's first digest of the month: an episode closed and reopened
        before it was made is ongoing, in full, to recipients who never heard it ended (new,
        if no digest has shown it)."""
        if not self.reopened:
            return self
        unseen = [e for e in self.reopened if e.last_full_month is None]
        seen = [e for e in self.reopened if e.last_full_month is not None]
        return replace(
            self,
            new=_order(self.new + unseen),
            reopened=[],
            ongoing_full=_order(self.ongoing_full + seen),
        )

    @property
    def worth_sending(self) -> bool:
        return bool(
            self.new or self.escalated or self.reopened or self.ongoing_full or self.resolved
        )

    @property
    def in_full(self) -> list[Episode]:
        return self.new + self.escalated + self.reopened + self.ongoing_full


def escalation(episode: Episode) -> str:
    """An escalated episode as X-Kvarter-Escalated lists it: its id and how far it has
    escalated (its peak severity, and whether it has approached the statutory threshold:
    `id@alarm`, `id@alarm+threshold`), so a second escalation in the same month (watch ->
    alarm, then near the threshold) is news again. Not its signal now: an alarm near the
    threshold whose signal is the model's again has escalated no further."""
    threshold = "+threshold" if episode.reached_threshold else ""
    return f"{episode.episode_id}@{episode.peak_severity}{threshold}"


def escalation_told(episode: Episode, told: set[str]) -> bool:
    """Whether `told` (Digest.told of the month's digests) holds the episode escalated as
    far as it is now, or further. A bare id is from a digest that listed no levels: it
    counts as told."""
    token = ESCALATED_TOKEN + episode.episode_id
    if token in told:
        return True
    severity, threshold = SEVERITY_RANK[episode.peak_severity], episode.reached_threshold
    for entry in told:
        if entry.startswith(token + "@"):
            told_severity, _, told_method = entry.removeprefix(token + "@").partition("+")
            # A level this release cannot read (a hand-edited or foreign header) proves
            # nothing told: skipped, so at worst the escalation is told once more in a
            # supplement, where counting it as told could hide one for good.
            if told_severity not in SEVERITY_RANK:
                continue
            was_threshold = told_method == "threshold"
            if SEVERITY_RANK[told_severity] >= severity and was_threshold >= threshold:
                return True
    return False


def _order(episodes: list[Episode]) -> list[Episode]:
    return sorted(episodes, key=lambda e: (-SEVERITY_RANK[e.severity], e.area_id, e.indicator_id))


def plan(
    episodes: list[Episode], transitions: list[Transition], month: dt.date, routing: Routing
) -> list[Digest]:
    """The digests of `month`, by recipient address, from the episodes after the month and
    the month's transitions."""
    arrived = {(t.episode_id, t.to_state) for t in transitions if t.month == month}
    # Closed when the month was applied, reopened when it was delivered again: its
    # recipients were told it had ended.
    reopened = {t.episode_id for t in transitions if t.month == month and t.from_state == RESOLVED}
    digests: dict[str, Digest] = {}
    for episode in episodes:
        if not episode.mailed:
            continue
        if (episode.episode_id, RESOLVED) in arrived and episode.state == RESOLVED:
            section = "resolved"
        elif episode.state == NEW and (episode.episode_id, NEW) in arrived:
            section = "new"
        elif episode.state == ESCALATED and (episode.episode_id, ESCALATED) in arrived:
            section = "escalated"
        elif episode.state == ONGOING and episode.episode_id in reopened:
            section = "reopened"  # told it ended: by the month's digest (first_of_month)
        elif episode.last_full_month is None and episode.state in (NEW, ESCALATED, ONGOING):
            # No digest has shown it (silenced before its first digest, then lifted; or
            # every digest of its month failed): the recipients hear of it for the first
            # time, not as repeated.
            section = "new"
        elif episode.state in (NEW, ESCALATED, ONGOING):
            due = (
                episode.last_full_month is None
                or months_between(episode.last_full_month, month) >= FULL_EVERY
            )
            section = "ongoing_full" if due else "ongoing_short"
        else:  # silenced, or resolved in an earlier month
            continue
        for recipient in routing.recipients(episode.area_id, episode.indicator_id):
            digest = digests.setdefault(recipient.address, Digest(recipient, month))
            getattr(digest, section).append(episode)
    for digest in digests.values():
        for section, _ in SECTION_TITLES:
            setattr(digest, section, _order(getattr(digest, section)))
    return [digests[address] for address in sorted(digests)]


def baseline(history: pd.DataFrame, onset: dt.date) -> tuple[float, float, float] | None:
    """Mean and mean +- 2 SD of the published values in the BASELINE_MONTHS before the onset:
    the expected level, from published numbers only. None with fewer than 3 such months."""
    periods = pd.to_datetime(history["period"]).dt.date
    start = (pd.Timestamp(onset) - pd.DateOffset(months=BASELINE_MONTHS)).date()
    before = history[(periods < onset) & (periods >= start) & ~history["suppressed"].astype(bool)]
    if len(before) < 3:
        return None
    mean, sd = float(before["value"].mean()), float(before["value"].std())
    return mean, mean - 2 * sd, mean + 2 * sd


def _heading(episode: Episode, series: Series) -> str:
    return f"{series.area_name} ({episode.area_id}): {series.indicator_name}"


def _full_text(episode: Episode, series: Series, month: dt.date) -> tuple[list[str], str]:
    """The lines of an episode shown in full, and its plain one-line expected level."""
    history = series.history
    unit, scale = series.unit, series.display_scale
    band = baseline(history, episode.onset)
    expected = (
        "kan ikke beregnes (for få offentliggjorte måneder før episoden)"
        if band is None
        else f"{format_value(band[0], unit, scale)} (interval "
        f"{format_value(band[1], unit, scale)} til {format_value(band[2], unit, scale)})"
    )
    latest = history[pd.to_datetime(history["period"]).dt.date == month]
    municipality = (
        format_value(latest["municipality_value"].iloc[0], unit, scale) if len(latest) else "-"
    )
    shown = history.tail(SHOWN_MONTHS)
    explanation = safe_explanation(
        series.explanation,
        history.assign(period=pd.to_datetime(history["period"]).dt.date),
        episode.onset,
        month,
    )
    lines = [
        _heading(episode, series),
        f"  Status: {SEVERITY_DA[episode.severity]}, {DIRECTION_DA[episode.direction]}"
        f"{series.names(episode.onset, 'siden')} (episode {episode.episode_id})",
        f"  Sådan er den opgjort: {series.definition}",
        f"  {explanation}",
        f"  Forventet niveau før episoden: {expected}",
        f"  Kommunen i {month_da(month)}: {municipality}",
        "  Offentliggjorte værdier:",
        *(
            f"    {month_da(pd.Timestamp(r.period).date()):<16} "
            f"{format_value(r.value if not r.suppressed else None, unit, scale)}"
            for r in shown.itertuples()
        ),
        f"  Se området i dashboardet: {area_link(episode.area_id, episode.indicator_id, month)}",
    ]
    return lines, expected


def _short_text(episode: Episode, series: Series) -> str:
    return (
        f"  - {_heading(episode, series)}: {SEVERITY_DA[episode.severity].lower()}"
        f"{series.names(episode.onset, 'siden')}"
    )


def _resolved_text(episode: Episode, series: Series) -> str:
    months = series.names(episode.onset, "fra") + series.names(episode.last_signal_month, "til")
    return f"  - {_heading(episode, series)}" + (f":{months}" if months else "")


SECTION_TITLES = (
    ("new", "Nye episoder"),
    ("escalated", "Skærpede episoder"),
    ("reopened", "Genåbnede episoder (afsluttet, men måneden er leveret igen med signal)"),
    ("ongoing_full", "Igangværende episoder (gentaget i fuld længde)"),
    ("ongoing_short", "Igangværende episoder"),
    # Not "over": a lasting change becomes the expected level within a year or so, and
    # then signals no more (twentieth session's signal audit).
    # Months with data for the series: a quarterly one's are its quarter ends.
    ("resolved", "Afsluttede episoder (to måneder med data uden signal: tilbage på det "
                 "forventede niveau, eller en varig ændring, som modellen nu regner med)"),
)


def subject(digest: Digest) -> str:
    counts = [
        (len(digest.new), "ny", "nye"),
        (len(digest.escalated), "skærpet", "skærpede"),
        (len(digest.reopened), "genåbnet", "genåbnede"),
        (len(digest.ongoing_full) + len(digest.ongoing_short), "igangværende", "igangværende"),
        (len(digest.resolved), "afsluttet", "afsluttede"),
    ]
    parts = [f"{n} {one if n == 1 else many}" for n, one, many in counts if n]
    extra = " (tillæg)" if digest.supplement else ""
    return f"Kvarterprofil, tidlig varsling {month_da(digest.month)}{extra}: {', '.join(parts)}"


def _cid(episode: Episode) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "-", f"graf-{episode.episode_id}") + "@kvarterprofil"


def render(
    digest: Digest,
    series: dict[str, Series],
    sender: str | None = None,
    now: dt.datetime | None = None,
) -> EmailMessage:
    """The digest as a multipart mail: plain text, and HTML with an inline chart of each new,
    escalated or reopened episode. `series` is keyed by episode id."""
    month = digest.month
    opening = f"Tidlig varsling for {month_da(month)}."
    if digest.supplement:
        # Not always a new delivery: a silence lifted by hand also adds episodes.
        opening += " Tillæg: disse episoder er kommet til, efter månedens første sammendrag."
    text = [f"Til {digest.recipient.name}", "", opening, ""]
    body_html = [
        f"<p>Til {html.escape(digest.recipient.name)}</p>",
        f"<p>{html.escape(opening)}</p>",
    ]
    charts: list[tuple[str, bytes]] = []
    for section, title in SECTION_TITLES:
        episodes = getattr(digest, section)
        if not episodes:
            continue
        text += [f"{title}:", ""]
        body_html.append(f"<h2>{html.escape(title)}</h2>")
        for episode in episodes:
            if episode.episode_id not in series:
                raise LookupError(f"ingen offentliggjorte oplysninger om {episode.episode_id}")
            one = series[episode.episode_id]
            if section in ("new", "escalated", "reopened", "ongoing_full"):
                lines, _ = _full_text(episode, one, month)
                text += [*lines, ""]
                body_html.append(
                    f"<h3>{html.escape(lines[0])}</h3><pre>"
                    + html.escape("\n".join(line.strip() for line in lines[1:]))
                    + "</pre>"
                )
                if section != "ongoing_full":
                    cid = _cid(episode)
                    charts.append(
                        (
                            cid,
                            series_png(
                                one.history,
                                episode.onset,
                                baseline(one.history, episode.onset),
                                one.display_scale,
                                header_text(f"{one.area_name}: {one.indicator_name}"),
                            ),
                        )
                    )
                    body_html.append(
                        f'<p><img src="cid:{cid}" alt="Graf: {html.escape(lines[0])}"></p>'
                    )
            else:
                line = (_short_text if section == "ongoing_short" else _resolved_text)(episode, one)
                text.append(line)
                body_html.append(f"<p>{html.escape(line.strip())}</p>")
        text.append("")
    footer = [
        "Tal under diskretionsgrænsen vises ikke af hensyn til tavshedspligten.",
        "Drøft gerne udviklingen med boligorganisationen og afdelingsbestyrelsen.",
        "",
        "Venlig hilsen",
        "Kvarterprofil - tidlig varsling",
    ]
    text += footer
    body_html.append("".join(f"<p>{html.escape(line)}</p>" for line in footer if line))

    msg = EmailMessage()
    msg["From"] = sender or os.environ.get("KVARTER_MAIL_FROM", DEFAULT_SENDER)
    msg["To"] = digest.recipient.address
    msg["Subject"] = header_text(subject(digest))
    msg["Date"] = format_datetime(now or dt.datetime.now(dt.UTC))
    msg["Message-ID"] = f"<{digest.key}@kvarterprofil>"
    msg["X-Kvarter-Digest"] = digest.key
    # What it tells in full (`Digest.told`): what a supplement of the month need not repeat.
    msg["X-Kvarter-Episodes"] = " ".join(e.episode_id for e in digest.in_full)
    msg["X-Kvarter-Escalated"] = " ".join(escalation(e) for e in digest.escalated)
    msg.set_content("\n".join(text) + "\n")
    msg.add_alternative(
        '<!DOCTYPE html><html lang="da"><body>' + "\n".join(body_html) + "</body></html>",
        subtype="html",
    )
    html_part = msg.get_payload()[1]
    for cid, png in charts:
        html_part.add_related(png, maintype="image", subtype="png", cid=f"<{cid}>")
    return msg
