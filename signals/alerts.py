"""Danish wording shared by the alert digests: months, values, links, safe headers.

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


WITHHELD_EXPLANATION = (
    "Detaljerne bag signalet vises ikke, fordi en eller flere af episodens måneder er "
    "skjult af hensyn til diskretion."
)


def safe_explanation(
    explanation: str, history: pd.DataFrame, episode_start: dt.date, period: dt.date
) -> str:
    """The explanation, or a Danish note when a month of the episode (episode start to the
    alert month) is hidden in the published series (`history`: period, suppressed), or the
    series shown does not reach back to the start. A month with no row has no data (no
    school in July): nothing of it is hidden."""
    window = history[(history["period"] >= episode_start) & (history["period"] <= period)]
    if history.empty or history["period"].min() > episode_start:
        return WITHHELD_EXPLANATION
    if window["suppressed"].astype(bool).any():
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


def area_link(area_id: str, indicator_id: str, month: dt.date) -> str:
    """The area's page in the dashboard on this indicator and month (base address:
    KVARTER_DASHBOARD_URL; the link format is dashboard/app.py's)."""
    base = os.environ.get("KVARTER_DASHBOARD_URL", DEFAULT_DASHBOARD_URL).rstrip("/")
    query = {"side": "Område", "omraade": area_id, "indikator": indicator_id,
             "maaned": f"{month:%Y-%m}"}  # fmt: skip
    return f"{base}/?{urlencode(query)}"


def header_text(value: str) -> str:
    """A header value on one line: line breaks (CR/LF from a source's text field would end
    the header) become spaces, other control characters go."""
    return " ".join(re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", value).split())
