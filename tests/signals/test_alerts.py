import datetime as dt
from email import policy
from email.parser import BytesParser

import pandas as pd

from signals.alerts import (
    WITHHELD_EXPLANATION,
    Alert,
    format_value,
    safe_explanation,
    write_outbox,
)


def alert(**changes):
    fields = dict(
        area_id="BO04",
        area_name="Rønnebærparken",
        indicator_id="emp_outside_work_edu",
        indicator_name="18-64-årige uden for arbejde eller uddannelse",
        definition="Fuldtidspersoner på dagpenge, kontanthjælp blandt 18-64-årige.",
        unit="pct",
        display_scale=100,
        worse_when="higher",
        severity="alarm",
        period=dt.date(2025, 12, 1),
        episode_start=dt.date(2025, 9, 1),
        explanation="Niveauet er markant højere.",
        department_name="Beskæftigelse",
        recipient="jobcenter@kommune.example",
        history=pd.DataFrame(
            {
                "period": [dt.date(2025, 11, 1), dt.date(2025, 12, 1)],
                "value": [0.3765, None],
                "suppressed": [False, True],
            }
        ),
    )
    fields.update(changes)
    return Alert(**fields)


def read(path):
    with path.open("rb") as f:
        return BytesParser(policy=policy.default).parse(f)


def test_value_formatting_in_danish():
    assert format_value(0.3765, "pct", 100) == "37,6 %"
    assert format_value(0.1234, "per_100", 100) == "12,3 pr. 100"
    assert format_value(None, "pct", 100) == "undertrykt (diskretion)"


def test_email_is_rfc5322_danish_and_carries_only_published_values(tmp_path):
    written, present, failed = write_outbox([alert()], tmp_path)
    assert not failed
    assert [p.name for p in written] == ["2025-09_BO04_emp_outside_work_edu.eml"] and not present
    raw = written[0].read_bytes()
    assert b"\r\n" in raw  # CRLF line ends
    msg = read(written[0])
    assert msg["To"] == "jobcenter@kommune.example"
    assert msg["Subject"] == (
        "[Alarm] Rønnebærparken: stigende 18-64-årige uden for arbejde eller uddannelse"
    )
    assert msg["Message-ID"] == "<2025-09_BO04_emp_outside_work_edu@kvarterprofil>"
    body = msg.get_content()
    assert "Udviklingen startede: september 2025" in body
    assert "Sådan er den opgjort: Fuldtidspersoner på dagpenge, kontanthjælp blandt" in body
    assert "dashboardet: http://127.0.0.1:8501/?side=Omr%C3%A5de&omraade=BO04" in body
    assert "november 2025    37,6 %" in body
    assert "december 2025    undertrykt (diskretion)" in body


def test_one_email_per_episode(tmp_path):
    write_outbox([alert()], tmp_path)
    written, present, _ = write_outbox([alert(period=dt.date(2026, 1, 1))], tmp_path)
    assert written == [] and len(present) == 1
    new_episode = alert(episode_start=dt.date(2026, 3, 1))
    written, *_ = write_outbox([new_episode], tmp_path)
    assert [p.name for p in written] == ["2026-03_BO04_emp_outside_work_edu.eml"]


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
    # A month missing from the published series counts as hidden too.
    assert (
        safe_explanation("1,45", history.drop(index=3), dt.date(2025, 9, 1), dt.date(2025, 12, 1))
        == WITHHELD_EXPLANATION
    )


def test_a_line_break_in_a_source_text_stays_out_of_the_headers(tmp_path):
    [path], _, failed = write_outbox([alert(area_name="Rønnebær-\r\nparken\x00")], tmp_path)
    assert not failed
    msg = read(path)
    assert msg["Subject"] == (
        "[Alarm] Rønnebær- parken: stigende 18-64-årige uden for arbejde eller uddannelse"
    )


def test_one_message_that_cannot_be_rendered_does_not_stop_the_others(tmp_path):
    broken = alert(area_id="BO05", history=pd.DataFrame({"period": ["not a date"], "value": [1.0]}))
    written, present, failed = write_outbox([broken, alert()], tmp_path)
    assert [p.name for p in written] == ["2025-09_BO04_emp_outside_work_edu.eml"]
    assert list(failed) == ["2025-09_BO05_emp_outside_work_edu"] and not present
    assert "AttributeError" in failed["2025-09_BO05_emp_outside_work_edu"]
