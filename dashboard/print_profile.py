"""The area profile for meetings with the housing organisations: one A4 page of HTML,
Danish, only published numbers, a hidden cell empty with the reason as a footnote.

The same document is shown on the Udskrift page (printed from the browser) and
downloaded as a file; its print stylesheet drops everything but the profile.
"""

import datetime as dt
from html import escape

import pandas as pd

from dashboard.danish import month

STYLE = """
.kvarter-print { font-family: sans-serif; color: #000; max-width: 60em; }
.kvarter-print h1 { font-size: 1.5em; margin: 0 0 .2em; }
.kvarter-print table { border-collapse: collapse; width: 100%; margin: .5em 0 1em; }
.kvarter-print th, .kvarter-print td { border-bottom: 1px solid #999; padding: .2em .4em; }
.kvarter-print th { text-align: left; }
.kvarter-print td.n { text-align: right; white-space: nowrap; }
.kvarter-print .note { font-size: .85em; }
@page { size: A4; margin: 15mm; }
@media print {
  /* Only the profile on paper: no sidebar, header, controls or buttons. */
  [data-testid="stSidebar"], [data-testid="stHeader"], [data-testid="stToolbar"],
  .stDownloadButton, .stSelectbox, .stCaption, .stAlert { display: none !important; }
  .kvarter-print { max-width: none; }
  .kvarter-print tr { break-inside: avoid; }
}
"""


def _table(frame: pd.DataFrame, numeric: set[str]) -> str:
    head = "".join(f"<th>{escape(str(c))}</th>" for c in frame.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="n">{escape(str(v))}</td>' if c in numeric else f"<td>{escape(str(v))}</td>"
            for c, v in zip(frame.columns, row)
        )
        + "</tr>"
        for row in frame.itertuples(index=False)
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def profile_html(
    area_name: str,
    period: dt.date,
    published: str,
    profile: pd.DataFrame,
    criteria: pd.DataFrame,
    departments: pd.DataFrame,
    explanation: str,
    areas: int,
) -> str:
    """The body of the print profile (`profile`, `criteria`, `departments` are the text
    tables of dashboard/tables.py); `document()` wraps it as a file."""
    numeric = {"Området", "Hele kommunen", "Ændring 12 mdr.", "Placering"}
    criteria_part = (
        _table(criteria.drop(columns=["Område"]), set(criteria.columns[4:]))
        if not criteria.empty
        else "<p>Ingen lovkriterier for området.</p>"
    )
    if (criteria.get("Foreløbig") == "ja").any():
        criteria_part += (
            '<p class="note">Foreløbig: de nationale tal til listeåret er ikke leveret endnu. '
            "Kun kriterium 1 er kendt (kommunens egne data for de to forrige kalenderår).</p>"
        )
    departments_part = (
        _table(departments.fillna(""), {"Boliger"})
        if not departments.empty
        else "<p>Ingen boligafdelinger registreret.</p>"
    )
    return (
        f'<div class="kvarter-print"><style>{STYLE}</style>'
        f"<h1>Kvarterprofil: {escape(area_name)}</h1>"
        f"<p>Opgjort for {month(period)}. Offentliggjort {escape(published)}. "
        f"Placering blandt {areas} boligområder: 1 er det dårligste niveau "
        "(for baggrundstal det højeste).</p>"
        f"<h2>Indikatorer</h2>{_table(profile, numeric)}"
        f'<p class="note">Tomme felter: {escape(explanation)}</p>'
        f"<h2>Lovkriterier (almenboligloven § 61 a)</h2>{criteria_part}"
        f"<h2>Boligafdelinger i området</h2>{departments_part}"
        '<p class="note">Kilde: kommunens offentliggjorte kvarterdata (Kvarter). Kun tal, '
        "der har bestået diskretionskontrollen, er vist.</p></div>"
    )


def document(body: str, title: str) -> str:
    """A standalone HTML file of the profile, to print or attach to a meeting invitation."""
    return (
        '<!DOCTYPE html><html lang="da"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title></head><body>{body}</body></html>"
    )
