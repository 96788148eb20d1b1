"""A hand-made month: which episodes each recipient's digest holds, in which order, with
which numbers."""

import datetime as dt
from dataclasses import replace

import pandas as pd

from signals.digest import (
    Series,
    _full_text,
    _resolved_text,
    _short_text,
    baseline,
    escalation,
    escalation_told,
    plan,
    render,
)
from signals.episodes import Episode, Transition
from signals.routing import load_routing

D = dt.date
DEC = D(2025, 12, 1)
ROUTING = load_routing(
    pd.DataFrame(
        {
            "indicator_id": ["emp_outside_work_edu", "emp_benefit_fte", "hou_evictions"],
            "department": ["employment", "employment", "housing"],
        }
    ),
    pd.DataFrame(
        {
            "department": ["employment", "housing"],
            "department_name_da": ["Beskæftigelse", "Boligsocialt sekretariat"],
            "contact_email": ["jobcenter@k.example", "bolig@k.example"],
        }
    ),
)


def episode(area, indicator, state, severity="alarm", first=DEC, **changes):
    fields = dict(
        episode_id=f"{area}-{indicator}-op-{first:%Y-%m}",
        area_id=area,
        indicator_id=indicator,
        direction="op",
        state=state,
        severity=severity,
        peak_severity=severity,
        method="glr",
        onset=D(2025, 9, 1),
        first_month=first,
        last_signal_month=DEC,
        last_month=DEC,
    )
    return Episode(**{**fields, **changes})


NEW = episode("BO04", "emp_outside_work_edu", "ny")
ESCALATED = episode("BO05", "emp_benefit_fte", "skærpet", first=D(2025, 10, 1))
SHORT = episode("BO02", "emp_benefit_fte", "igangværende", first=D(2025, 8, 1),
                last_full_month=D(2025, 11, 1))  # fmt: skip
DUE = episode("BO03", "emp_outside_work_edu", "igangværende", first=D(2025, 6, 1),
              last_full_month=D(2025, 9, 1))  # fmt: skip
RESOLVED = episode("BO06", "emp_benefit_fte", "afsluttet", first=D(2025, 5, 1),
                   last_signal_month=D(2025, 10, 1))  # fmt: skip
WATCH_ONLY = episode("BO07", "emp_benefit_fte", "ny", severity="watch")
SILENCED = episode("BO08", "emp_benefit_fte", "dæmpet", first=D(2025, 7, 1))
OLD_RESOLVED = episode("BO09", "emp_benefit_fte", "afsluttet", first=D(2024, 1, 1))
HOUSING_SHORT = episode("BO04", "hou_evictions", "igangværende", first=D(2025, 10, 1),
                        last_full_month=D(2025, 10, 1))  # fmt: skip
EPISODES = [NEW, ESCALATED, SHORT, DUE, RESOLVED, WATCH_ONLY, SILENCED, OLD_RESOLVED,
            HOUSING_SHORT]  # fmt: skip
TRANSITIONS = [
    Transition(NEW.episode_id, DEC, "r1", None, "ny", "alarm"),
    Transition(ESCALATED.episode_id, DEC, "r1", "igangværende", "skærpet", "watch -> alarm"),
    Transition(RESOLVED.episode_id, DEC, "r1", "igangværende", "afsluttet", ""),
    Transition(WATCH_ONLY.episode_id, DEC, "r1", None, "ny", "watch"),
]
MONTHS = [D(2025, m, 1) for m in range(3, 13)]
VALUES = [0.30, 0.32, 0.28, 0.30, 0.31, 0.29, 0.36, 0.38, None, 0.40]


def published(values=VALUES):
    return pd.DataFrame(
        {
            "period": MONTHS,
            "value": values,
            "suppressed": [v is None for v in values],
            "municipality_value": [0.25] * len(values),
        }
    )


def series(area_name="Rønnebærparken", indicator="18-64-årige uden for arbejde eller uddannelse"):
    return Series(
        area_name=area_name,
        indicator_name=indicator,
        definition="Fuldtidspersoner uden for arbejde eller uddannelse.",
        unit="pct",
        display_scale=100,
        explanation="Siden september 2025: 1,3 gange det forventede.",
        history=published(),
    )


SERIES = {e.episode_id: series(area_name=f"Område {e.area_id}") for e in EPISODES}
SERIES[NEW.episode_id] = series()


def test_which_episodes_go_to_whom_and_in_which_section():
    [housing, jobs] = plan(EPISODES, TRANSITIONS, DEC, ROUTING)
    assert housing.recipient.address == "bolig@k.example" and not housing.worth_sending
    assert jobs.recipient.address == "jobcenter@k.example"
    assert [e.area_id for e in jobs.new] == ["BO04"]
    assert [e.area_id for e in jobs.escalated] == ["BO05"]
    assert [e.area_id for e in jobs.ongoing_full] == ["BO03"]  # last in full in September
    assert [e.area_id for e in jobs.ongoing_short] == ["BO02"]
    assert [e.area_id for e in jobs.resolved] == ["BO06"]


def test_an_escalation_is_told_when_a_digest_told_it_as_far_or_further():
    # An alarm, then a watch near its statutory threshold (a threshold signal is a watch).
    near = replace(ESCALATED, severity="watch", method="threshold", reached_threshold=True)
    token = "skaerpet:" + ESCALATED.episode_id
    assert escalation(near) == ESCALATED.episode_id + "@alarm+threshold"
    # How far it has escalated, not its signal now: the model's alarm again after it.
    assert escalation(replace(near, severity="alarm", method="glr")) == escalation(near)
    assert not escalation_told(near, {ESCALATED.episode_id})  # shown, not as escalated
    assert not escalation_told(near, {token + "@alarm"})  # told up to alarm only
    assert not escalation_told(near, {token + "@watch+threshold"})
    assert escalation_told(near, {token + "@alarm+threshold"})
    assert escalation_told(ESCALATED, {token + "@alarm+threshold"})  # told further
    assert escalation_told(near, {token})  # a digest that listed no levels


def test_an_escalation_told_at_a_level_this_release_cannot_read_is_not_told():
    # Before: a KeyError that failed the alert step (the digests after it not queued).
    token = "skaerpet:" + ESCALATED.episode_id
    assert not escalation_told(ESCALATED, {token + "@kritisk"})
    assert not escalation_told(ESCALATED, {token + "@"})
    assert escalation_told(ESCALATED, {token + "@kritisk", token + "@alarm"})


def test_expected_level_from_the_published_months_before_the_onset():
    mean, low, high = baseline(published(), D(2025, 9, 1))
    # March-August: 0.30 0.32 0.28 0.30 0.31 0.29, SD sqrt(0.001 / 5) = 0.01414
    assert round(mean, 4) == 0.30 and (round(low, 4), round(high, 4)) == (0.2717, 0.3283)
    assert baseline(published([None] * 7 + [0.4, 0.4, 0.4]), D(2025, 9, 1)) is None


def test_the_digest_text_new_and_escalated_first_with_published_numbers_only():
    jobs = plan(EPISODES, TRANSITIONS, DEC, ROUTING)[1]
    msg = render(jobs, SERIES, now=dt.datetime(2026, 1, 5, tzinfo=dt.UTC))
    assert msg["To"] == "jobcenter@k.example"
    assert msg["Subject"] == (
        "Kvarterprofil, tidlig varsling december 2025: 1 ny, 1 skærpet, 2 igangværende, "
        "1 afsluttet"
    )
    assert msg["Message-ID"] == f"<{jobs.key}@kvarterprofil>"
    assert jobs.key.startswith("digest-2025-12-jobcenter-k-example-")
    text = msg.get_body("plain").get_content()
    titles = ("Nye episoder:", "Skærpede episoder:", "gentaget i fuld længde",
              "Igangværende episoder:", "Afsluttede episoder")  # fmt: skip
    order = [text.index(title) for title in titles]
    assert order == sorted(order)
    new_section = text[text.index("Nye episoder:") : text.index("Skærpede episoder:")]
    assert new_section.splitlines()[2:15] == [
        "Rønnebærparken (BO04): 18-64-årige uden for arbejde eller uddannelse",
        "  Status: Alarm, stigende siden september 2025 (episode "
        "BO04-emp_outside_work_edu-op-2025-12)",
        "  Sådan er den opgjort: Fuldtidspersoner uden for arbejde eller uddannelse.",
        # November is hidden: the detector's explanation (from restricted counts) is withheld.
        "  Detaljerne bag signalet vises ikke, fordi en eller flere af episodens måneder er "
        "skjult af hensyn til diskretion.",
        "  Forventet niveau før episoden: 30,0 % (interval 27,2 % til 32,8 %)",
        "  Kommunen i december 2025: 25,0 %",
        "  Offentliggjorte værdier:",
        "    juli 2025        31,0 %",
        "    august 2025      29,0 %",
        "    september 2025   36,0 %",
        "    oktober 2025     38,0 %",
        "    november 2025    undertrykt (diskretion)",
        "    december 2025    40,0 %",
    ]
    assert (
        "dashboardet: http://127.0.0.1:8501/?side=Omr%C3%A5de&omraade=BO04"
        "&indikator=emp_outside_work_edu&maaned=2025-12"
    ) in new_section
    assert "  - Område BO02 (BO02): 18-64-årige uden for arbejde eller uddannelse: alarm siden " \
        "september 2025" in text
    assert "  - Område BO06 (BO06): 18-64-årige uden for arbejde eller uddannelse: fra " \
        "september 2025 til oktober 2025" in text
    for absent in ("BO07", "BO08", "BO09", "hou_evictions"):
        assert absent not in text


def test_the_html_part_carries_one_inline_chart_per_new_or_escalated_episode():
    jobs = plan(EPISODES, TRANSITIONS, DEC, ROUTING)[1]
    msg = render(jobs, SERIES)
    assert msg.get_content_type() == "multipart/alternative"
    html_part = msg.get_body("html")
    related = [p for p in msg.walk() if p.get_content_type() == "multipart/related"]
    assert len(related) == 1
    images = [p for p in msg.walk() if p.get_content_type() == "image/png"]
    assert [p["Content-ID"] for p in images] == [
        "<graf-BO04-emp_outside_work_edu-op-2025-12@kvarterprofil>",
        "<graf-BO05-emp_benefit_fte-op-2025-10@kvarterprofil>",
    ]
    assert all(p.get_content().startswith(b"\x89PNG") for p in images)
    assert 'src="cid:graf-BO04-emp_outside_work_edu-op-2025-12@kvarterprofil"' in (
        html_part.get_content()
    )


def test_a_silenced_or_watch_only_episode_alone_makes_no_digest():
    assert plan([SILENCED, WATCH_ONLY, replace(SHORT, state="dæmpet")], TRANSITIONS, DEC,
                ROUTING) == []  # fmt: skip


def test_a_digest_names_no_month_whose_cell_is_hidden():
    # November 2025 is hidden in the published series.
    hidden = episode("BO04", "emp_outside_work_edu", "ny", onset=D(2025, 11, 1))
    lines, _ = _full_text(hidden, series(), DEC)
    assert lines[1] == (
        "  Status: Alarm, stigende (episode BO04-emp_outside_work_edu-op-2025-12)"
    )
    assert _short_text(hidden, series()).endswith("uddannelse: alarm")
    ended = replace(hidden, onset=D(2025, 9, 1), last_signal_month=D(2025, 11, 1))
    assert _resolved_text(ended, series()).endswith("uddannelse: fra september 2025")
    assert _resolved_text(replace(ended, onset=D(2025, 11, 1)), series()).endswith(
        "(BO04): 18-64-årige uden for arbejde eller uddannelse"
    )


def test_an_episode_no_digest_has_shown_is_told_as_new_not_repeated_or_reopened():
    # Lifted by hand from a silence that began before its first digest; and one closed and
    # reopened by the month delivered again, never shown in full.
    lifted = episode("BO02", "emp_benefit_fte", "igangværende", first=D(2025, 10, 1))
    reopened = episode("BO03", "emp_benefit_fte", "igangværende", first=D(2025, 9, 1))
    again = Transition(reopened.episode_id, DEC, "r2", "afsluttet", "igangværende", "leveret igen")
    [jobs] = plan([lifted, reopened], [again], DEC, ROUTING)
    assert [e.area_id for e in jobs.new] == ["BO02"] and jobs.ongoing_full == []
    # Reopened in a supplement (the month's digest told it ended); new in the month's
    # first digest, which told nothing of it.
    assert [e.area_id for e in jobs.reopened] == ["BO03"]
    first = jobs.first_of_month()
    assert [e.area_id for e in first.new] == ["BO02", "BO03"] and first.reopened == []
    # Once a digest showed them, they are ongoing (due in full in March) and reopened,
    # which the month's first digest tells as ongoing in full.
    shown = [replace(e, last_full_month=D(2025, 11, 1)) for e in (lifted, reopened)]
    [jobs] = plan(shown, [again], DEC, ROUTING)
    assert [e.area_id for e in jobs.ongoing_short] == ["BO02"]
    assert [e.area_id for e in jobs.reopened] == ["BO03"] and jobs.new == []
    first = jobs.first_of_month()
    assert [e.area_id for e in first.ongoing_full] == ["BO03"] and first.new == []
