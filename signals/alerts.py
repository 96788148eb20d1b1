"""Danish alert emails for deterioration signals, written as RFC 5322 files to an outbox.

An email carries only published (disclosure-controlled) values; the detector's
unsuppressed observed/expected rates stay in the restricted warehouse. Its one-line
explanation (observed / expected, score, q) is computed from restricted counts, so it is
shown only when every month of the episode is published for the series: then the observed
rates behind it are public already (`safe_explanation`).
"""

from __future__ import annotations

import datetime as dt
import os
import re
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd

DEFAULT_SENDER = "kvarterprofil@kommune.example"
DEFAULT_DASHBOARD_URL = "http://127.0.0.1:8501"
SEVERITY_DA = {"alarm": "Alarm", "watch": "Skærpet opmærksomhed"}
MONTHS_DA = [
    "januar",
    "februar",
    "marts",
    "april",
    "maj",
    "juni",
    "juli",
    "august",
    "september",
    "oktober",
    "november",
    "december",
]


@dataclass(frozen=True)
class Alert:
    area_id: str
    area_name: str
    indicator_id: str
    indicator_name: str
    definition: str  # the published catalogue's Danish definition
    unit: str
    display_scale: int
    worse_when: str
    severity: str
    period: dt.date
    episode_start: dt.date
    explanation: str
    department_name: str
    recipient: str
    history: pd.DataFrame  # published rows: period, value, suppressed

    @property
    def fingerprint(self) -> str:
        """One alert per area, indicator, direction, method and episode."""
        return f"{self.episode_start:%Y-%m}_{self.area_id}_{self.indicator_id}"


WITHHELD_EXPLANATION = (
    "Detaljerne bag signalet vises ikke, fordi en eller flere af episodens måneder er "
    "skjult af hensyn til diskretion."
)


def safe_explanation(
    explanation: str, history: pd.DataFrame, episode_start: dt.date, period: dt.date
) -> str:
    """The explanation, or a Danish note when a month of the episode (episode start to the
    alert month) is hidden or missing in the published series (`history`: period, suppressed)."""
    window = history[(history["period"] >= episode_start) & (history["period"] <= period)]
    months = (period.year - episode_start.year) * 12 + period.month - episode_start.month + 1
    if len(window) < months or window["suppressed"].astype(bool).any():
        return WITHHELD_EXPLANATION
    return explanation


def month_da(day: dt.date) -> str:
    return f"{MONTHS_DA[day.month - 1]} {day.year}"


def format_value(value: float | None, unit: str, scale: int) -> str:
    if value is None or pd.isna(value):
        return "undertrykt (diskretion)"
    shown = value * scale
    suffix = {"pct": " %", "per_100": " pr. 100", "per_1000": " pr. 1.000"}.get(unit, "")
    return f"{shown:.1f}".replace(".", ",") + suffix


def area_link(area_id: str) -> str:
    """The area's page in the dashboard (base address: KVARTER_DASHBOARD_URL)."""
    base = os.environ.get("KVARTER_DASHBOARD_URL", DEFAULT_DASHBOARD_URL).rstrip("/")
    return f"{base}/?{urlencode({'side': 'Område', 'omraade': area_id})}"


def header_text(value: str) -> str:
    """A header value on one line: line breaks (CR/LF from a source's text field would end
    the header) become spaces, other control characters go."""
    return " ".join(re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", value).split())


def render(alert: Alert, sender: str | None = None, now: dt.datetime | None = None) -> EmailMessage:
    """Build the Danish alert email for one signal."""
    direction = "stigende" if alert.worse_when == "higher" else "faldende"
    msg = EmailMessage()
    msg["From"] = sender or os.environ.get("KVARTER_MAIL_FROM", DEFAULT_SENDER)
    msg["To"] = alert.recipient
    msg["Subject"] = header_text(
        f"[{SEVERITY_DA[alert.severity]}] {alert.area_name}: {direction} "
        f"{alert.indicator_name.lower()}"
    )
    msg["Date"] = format_datetime(now or dt.datetime.now(dt.UTC))
    msg["Message-ID"] = f"<{alert.fingerprint}@kvarterprofil>"
    msg["X-Kvarter-Fingerprint"] = alert.fingerprint
    rows = "\n".join(
        f"  {month_da(r.period):<16} {format_value(r.value, alert.unit, alert.display_scale)}"
        for r in alert.history.itertuples()
    )
    msg.set_content(
        f"Til {alert.department_name}\n\n"
        f"Tidlig varsling har fundet en negativ udvikling i boligområdet {alert.area_name} "
        f'({alert.area_id}) for indikatoren "{alert.indicator_name}".\n'
        f"Sådan er den opgjort: {alert.definition}\n\n"
        f"Status: {SEVERITY_DA[alert.severity]}\n"
        f"Opgjort for: {month_da(alert.period)}\n"
        f"Udviklingen startede: {month_da(alert.episode_start)}\n\n"
        f"{alert.explanation}\n\n"
        f"Offentliggjorte værdier for området de seneste måneder:\n{rows}\n\n"
        "Tal under diskretionsgrænsen vises ikke af hensyn til tavshedspligten.\n"
        f"Se hele kvarterprofilen i dashboardet: {area_link(alert.area_id)}\n"
        "Drøft gerne udviklingen med "
        "boligorganisationen og afdelingsbestyrelsen.\n\n"
        "Venlig hilsen\nKvarterprofil - tidlig varsling\n"
    )
    return msg


def write_outbox(
    alerts: list[Alert], outbox: Path
) -> tuple[list[Path], list[Path], dict[str, str]]:
    """Write one .eml per alert episode; an episode already in the outbox is not resent.
    Each message is rendered on its own: one that fails does not stop the others.

    Returns (written, already_present, failed: fingerprint -> error).
    """
    outbox.mkdir(parents=True, exist_ok=True)
    written, present, failed = [], [], {}
    for alert in alerts:
        path = outbox / f"{alert.fingerprint}.eml"
        if path.exists():
            present.append(path)
            continue
        try:
            message = render(alert).as_bytes(policy=SMTP)  # CRLF line ends, RFC 5322
        except Exception as error:  # noqa: BLE001 - reported per message, others go on
            failed[alert.fingerprint] = f"{type(error).__name__}: {error}"
            continue
        tmp = path.with_suffix(".tmp")
        tmp.write_bytes(message)
        tmp.replace(path)
        written.append(path)
    return written, present, failed
