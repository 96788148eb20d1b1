import datetime as dt

import pandas as pd

from signals.alerts import (
    WITHHELD_EXPLANATION,
    area_link,
    format_value,
    header_text,
    safe_explanation,
)


def test_value_formatting_in_danish():
    assert format_value(0.3765, "pct", 100) == "37,6 %"
    assert format_value(0.1234, "per_100", 100) == "12,3 pr. 100"
    assert format_value(None, "pct", 100) == "undertrykt (diskretion)"


def test_link_to_the_area_page_on_the_indicator_and_month(monkeypatch):
    monkeypatch.setenv("KVARTER_DASHBOARD_URL", "https://kvarter.kommune.example/")
    assert area_link("BO04", "hou_evictions", dt.date(2025, 12, 1)) == (
        "https://kvarter.kommune.example/?side=Omr%C3%A5de&omraade=BO04"
        "&indikator=hou_evictions&maaned=2025-12"
    )


def episode_history(suppressed):
    months = [dt.date(2025, m, 1) for m in (8, 9, 10, 11, 12)]
    return pd.DataFrame({"period": months, "value": [0.3] * 5, "suppressed": suppressed})


def test_the_explanation_is_shown_when_every_month_of_the_episode_is_published():
    # Episode September-December: August (before it) may be hidden.
    history = episode_history([True, False, False, False, False])
    shown = safe_explanation(
        "1,45 gange det forventede", history, dt.date(2025, 9, 1), dt.date(2025, 12, 1)
    )
    assert shown == "1,45 gange det forventede"


def test_the_explanation_is_withheld_when_a_month_of_the_episode_is_hidden():
    history = episode_history([False, False, True, False, False])  # October hidden
    assert safe_explanation("1,45", history, dt.date(2025, 9, 1), dt.date(2025, 12, 1)) == (
        WITHHELD_EXPLANATION
    )


def test_the_explanation_is_withheld_when_the_episode_starts_before_the_series_shown():
    # August to December all published, the episode since July: July is not known to be
    # public (before the twenty-fourth session this was asserted on a history with October
    # hidden, withheld for that alone).
    history = episode_history([False] * 5)
    assert safe_explanation("1,45", history, dt.date(2025, 8, 1), dt.date(2025, 12, 1)) == "1,45"
    assert safe_explanation("1,45", history, dt.date(2025, 7, 1), dt.date(2025, 12, 1)) == (
        WITHHELD_EXPLANATION
    )


def test_a_month_without_data_is_not_a_hidden_month():
    # November has no row (no data that month, as school absence has no July): the
    # explanation is shown (before the twenty-third session: withheld "for discretion").
    history = episode_history([False] * 5).drop(index=3)
    assert safe_explanation("1,45", history, dt.date(2025, 9, 1), dt.date(2025, 12, 1)) == "1,45"


def test_a_line_break_in_a_source_text_stays_out_of_a_header():
    assert header_text("Rønnebær-\r\nBcc: x@evil.example\x00") == "Rønnebær- Bcc: x@evil.example"
