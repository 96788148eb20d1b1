"""A month's alerting on a hand-made warehouse, delivered to a real SMTP server."""

import datetime as dt
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import dagster as dg
import duckdb
import pytest

from orchestration.defs.alerts import alert_emails
from orchestration.resources import KvarterStorage
from quality.disclosure_memory import COLUMNS
from quality.disclosure_memory import TABLE as MEMORY
from signals import alert_run, episode_store
from signals.alert_run import apply_month, mail_month, routing_from, run_month
from signals.episodes import silence
from signals.mail_queue import SmtpConfig

NOW = dt.datetime(2026, 1, 10, 6, 0, tzinfo=dt.UTC)
AREAS = [("BO04", "Rønnebærparken\r\nBcc: evil@angriber.example"), ("BO05", "Solsikkeparken")]


def warehouse(path, month: dt.date, signals):
    """Marts, reference seeds and signals.area_signals for `month`; each area x indicator
    published at 30 % for the 12 months before, 40 % since."""
    con = duckdb.connect(str(path))
    for schema in ("marts", "reference", "signals", "publication"):
        con.execute(f"create schema if not exists {schema}")
    # The disclosure memory, as dbt's on-run-start makes it: nothing published before.
    con.execute(f"create table if not exists {MEMORY} ({COLUMNS})")
    con.execute("create or replace table marts.dim_area (area_id varchar, area_name varchar)")
    con.executemany("insert into marts.dim_area values (?, ?)", AREAS)
    con.execute("""create or replace table reference.indicator_catalogue as
        select * from (values ('emp_benefit_fte', 'employment', 'higher'),
                              ('hou_evictions', 'housing', 'higher'))
            as t(indicator_id, department, worse_when)""")
    con.execute("""create or replace table marts.dim_indicator as
        select 'emp_benefit_fte' as indicator_id, 'Fuldtidspersoner på offentlig forsørgelse'
            as name_da, 'Andel af 16-66-årige.' as definition, 'pct' as unit,
            100 as display_scale""")  # hou_evictions left out: its digest cannot be made
    con.execute("""create or replace table reference.department_contacts as
        select * from (values ('employment', 'Beskæftigelse', 'jobcenter@k.example'),
                              ('housing', 'Boligsocialt sekretariat', 'bolig@k.example'))
            as t(department, department_name_da, contact_email)""")
    con.execute("""create or replace table marts.fct_area_indicator_month as
        select a.area_id, i.indicator_id, cast(p.period as date) as period,
            case when p.period >= date '2025-09-01' then 0.40 else 0.30 end as value,
            false as suppressed, 0.25 as municipality_value
        from marts.dim_area as a
        cross join reference.indicator_catalogue as i
        cross join generate_series(date '2024-09-01', ?, interval 1 month) as p(period)""",
        [month],
    )  # fmt: skip
    con.execute("""create or replace table signals.area_signals (area_id varchar,
        indicator_id varchar, period date, method varchar, episode_start date,
        severity varchar, explanation varchar)""")
    for area, indicator, severity in signals:
        con.execute(
            "insert into signals.area_signals values (?, ?, ?, 'glr', ?, ?, 'Højere end ventet.')",
            [area, indicator, month, dt.date(2025, 9, 1), severity],
        )
    return con


@pytest.fixture
def plain_server(smtp_server):
    server = smtp_server("plain")
    return server, SmtpConfig("127.0.0.1", server.port, "none", None, None, None)


def test_a_month_delivers_one_digest_per_recipient_and_never_twice(tmp_path, plain_server):
    server, smtp = plain_server
    outbox = tmp_path / "outbox"
    signals = [("BO04", "emp_benefit_fte", "alarm"), ("BO05", "emp_benefit_fte", "alarm"),
               ("BO04", "hou_evictions", "alarm"), ("BO05", "hou_evictions", "watch")]  # fmt: skip
    with warehouse(tmp_path / "w.duckdb", dt.date(2025, 12, 1), signals) as con:
        report = run_month(con, outbox, "run-1", smtp, NOW)
        assert [(t.episode_id, t.to_state) for t in report.transitions] == [
            ("BO04-emp_benefit_fte-op-2025-12", "ny"),
            ("BO04-hou_evictions-op-2025-12", "ny"),
            ("BO05-emp_benefit_fte-op-2025-12", "ny"),
            ("BO05-hou_evictions-op-2025-12", "ny"),
        ]
        # The housing digest has no labels for hou_evictions: it fails, the other is sent.
        [(jobs_key)] = report.queued
        assert jobs_key.startswith("digest-2025-12-jobcenter-k-example")
        [(housing_key, error)] = report.failed.items()
        assert housing_key.startswith("digest-2025-12-bolig-k-example")
        assert error == (
            "LookupError: ingen offentliggjorte oplysninger om BO04-hou_evictions-op-2025-12"
        )
        assert report.delivery.sent == [jobs_key]
        [(rcpt, msg)] = server.inbox.received
        # A CR/LF and "Bcc:" in an area name reach no header: one recipient, no Bcc.
        assert rcpt == ["jobcenter@k.example"] and msg["Bcc"] is None
        assert msg["Subject"] == "Kvarterprofil, tidlig varsling december 2025: 2 nye"
        text = msg.get_body("plain").get_content()
        assert text.index("(BO04): Fuldtidspersoner") < text.index("Solsikkeparken (BO05)")
        assert "  Forventet niveau før episoden: 30,0 % (interval 30,0 % til 30,0 %)" in text
        # The same month again: no transition, nothing queued or sent twice.
        again = run_month(con, outbox, "run-2", smtp, NOW)
        assert again.transitions == [] and again.queued == [] and again.delivery.sent == []
        assert again.already == [jobs_key] and list(again.failed) == [housing_key]
        assert len(server.inbox.received) == 1
        shown = {e.episode_id: e.last_full_month for e in episode_store.load_episodes(con)}
        assert shown["BO04-emp_benefit_fte-op-2025-12"] == dt.date(2025, 12, 1)
        assert shown["BO04-hou_evictions-op-2025-12"] is None  # its digest was not made


def test_a_signal_in_a_hidden_month_waits_for_the_next_published_one(tmp_path, plain_server):
    """BO05's cell of December is hidden: its alarm there opens nothing, and no digest
    names BO05. January's, published, opens the episode, told as new. Before the twenty-
    fifth session the episode opened in December, named a hidden month for good, and no
    digest ever held it (the twenty-third session's signal audit: an alarm published for
    six months)."""
    server, smtp = plain_server
    signals = [("BO04", "emp_benefit_fte", "alarm"), ("BO05", "emp_benefit_fte", "alarm")]
    with warehouse(tmp_path / "w.duckdb", dt.date(2025, 12, 1), signals) as con:
        con.execute("""update marts.fct_area_indicator_month set suppressed = true
            where area_id = 'BO05' and period = date '2025-12-01'""")
        report = run_month(con, tmp_path / "outbox", "run-1", smtp, NOW)
        assert [t.episode_id for t in report.transitions] == ["BO04-emp_benefit_fte-op-2025-12"]
    with warehouse(tmp_path / "w.duckdb", dt.date(2026, 1, 1), signals[1:]) as con:
        report = run_month(con, tmp_path / "outbox", "run-2", smtp, NOW)
        assert [(t.episode_id, t.to_state) for t in report.transitions] == [
            ("BO05-emp_benefit_fte-op-2026-01", "ny")
        ]
    december, january = (m for _, m in server.inbox.received)
    assert december["Subject"] == "Kvarterprofil, tidlig varsling december 2025: 1 ny"
    text = december.get_body("plain").get_content()
    assert "(BO04)" in text and "BO05" not in text
    assert january["Subject"] == "Kvarterprofil, tidlig varsling januar 2026: 1 ny, 1 igangværende"
    assert "(BO05)" in january.get_body("plain").get_content()


def test_an_ongoing_episode_is_not_mailed_in_a_hidden_month(tmp_path, plain_server):
    # December: new (mailed). January: ongoing, a short line (no digest). February and
    # March: still in alarm, then watch; March's cell is hidden, so its full ongoing text
    # (due every third month), whose severity comes from March's value, is not mailed.
    server, smtp = plain_server
    outbox = tmp_path / "outbox"
    months = [dt.date(2025, 12, 1), dt.date(2026, 1, 1), dt.date(2026, 2, 1), dt.date(2026, 3, 1)]
    for month, severity in zip(months, ["alarm", "alarm", "alarm", "watch"], strict=True):
        signals = [("BO05", "emp_benefit_fte", severity)]
        with warehouse(tmp_path / "w.duckdb", month, signals) as con:
            if month == months[-1]:
                con.execute("""update marts.fct_area_indicator_month set suppressed = true
                    where period = date '2026-03-01'""")
            run_month(con, outbox, f"run-{month:%Y-%m}", smtp, NOW)
    assert [m["Subject"] for _, m in server.inbox.received] == [
        "Kvarterprofil, tidlig varsling december 2025: 1 ny",
    ]


def test_months_go_by_ongoing_is_quiet_then_resolved_is_told(tmp_path, plain_server):
    server, smtp = plain_server
    outbox = tmp_path / "outbox"
    alarm = [("BO05", "emp_benefit_fte", "alarm")]
    for month, signals in ((dt.date(2025, 12, 1), alarm), (dt.date(2026, 1, 1), alarm),
                           (dt.date(2026, 2, 1), []), (dt.date(2026, 3, 1), [])):  # fmt: skip
        with warehouse(tmp_path / "w.duckdb", month, signals) as con:
            run_month(con, outbox, f"run-{month:%Y-%m}", smtp, NOW)
    assert [m["Subject"] for _, m in server.inbox.received] == [
        "Kvarterprofil, tidlig varsling december 2025: 1 ny",
        # January: only a short ongoing line, so no digest; March: resolved.
        "Kvarterprofil, tidlig varsling marts 2026: 1 afsluttet",
    ]
    with duckdb.connect(str(tmp_path / "w.duckdb")) as con:
        assert [
            (t.month, t.from_state, t.to_state, t.run_id)
            for t in episode_store.transitions_of(con, "BO05-emp_benefit_fte-op-2025-12")
        ] == [
            (dt.date(2025, 12, 1), None, "ny", "run-2025-12"),
            (dt.date(2026, 1, 1), "ny", "igangværende", "run-2026-01"),
            (dt.date(2026, 3, 1), "igangværende", "afsluttet", "run-2026-03"),
        ]


def test_a_digest_queued_before_a_crash_counts_as_shown_next_month(tmp_path, plain_server):
    """December's run queued its digest, then crashed before saving what it showed, and
    December was not run again. January's run reads the outbox: the alarm was shown, so
    January has only its short ongoing line (no digest), not the alarm told as new again."""
    server, smtp = plain_server
    outbox, alarm = tmp_path / "outbox", [("BO05", "emp_benefit_fte", "alarm")]
    with warehouse(tmp_path / "w.duckdb", dt.date(2025, 12, 1), alarm) as con:
        run_month(con, outbox, "run-12", smtp, NOW)
        con.execute("update alerts.episodes set last_full_month = null")  # the lost save
    (outbox / "digest-notes.eml").write_text("an operator's copy, not a digest")
    with warehouse(tmp_path / "w.duckdb", dt.date(2026, 1, 1), alarm) as con:
        report = run_month(con, outbox, "run-01", smtp, NOW)
        [episode] = episode_store.load_episodes(con)
    assert report.recorded == ["BO05-emp_benefit_fte-op-2025-12"]
    assert episode.last_full_month == dt.date(2025, 12, 1)
    assert [m["Subject"] for _, m in server.inbox.received] == [
        "Kvarterprofil, tidlig varsling december 2025: 1 ny",
    ]


def test_a_quarterly_series_is_quiet_only_in_its_published_quarter_ends(tmp_path):
    # BO04's series has rows at quarter ends only (as unlawful absence); its alarm of
    # September. October, November, January and February have no row for it, and are not
    # quiet months; nor is December, whose row is hidden (a hidden month is invisible to
    # the episode, with a signal or without: before the twenty-fifth session it counted,
    # and the episode closed in March). March is the first quiet month, June the second:
    # closed then (counting every month applied, it closed in November).
    path = tmp_path / "w.duckdb"
    months = [dt.date(2025, m, 1) for m in (9, 10, 11, 12)] + [
        dt.date(2026, m, 1) for m in range(1, 7)
    ]
    for month in months:
        signals = [("BO04", "emp_benefit_fte", "alarm")] if month == months[0] else []
        with warehouse(path, month, signals) as con:
            con.execute("""delete from marts.fct_area_indicator_month where area_id = 'BO04'
                and indicator_id = 'emp_benefit_fte' and month(period) % 3 != 0""")
            con.execute("""update marts.fct_area_indicator_month set suppressed = true
                where area_id = 'BO04' and period = date '2025-12-01'""")
            apply_month(con, f"run-{month:%Y-%m}")
            [episode] = episode_store.load_episodes(con)
            if month == dt.date(2026, 2, 1):
                assert (episode.state, episode.quiet_months) == ("ny", 0)
            if month == dt.date(2026, 5, 1):
                assert (episode.state, episode.quiet_months) == ("ny", 1)
    with duckdb.connect(str(path)) as con:
        transitions = episode_store.transitions_of(con, "BO04-emp_benefit_fte-op-2025-09")
    assert [(t.month, t.to_state) for t in transitions] == [
        (dt.date(2025, 9, 1), "ny"), (dt.date(2026, 6, 1), "afsluttet")
    ]  # fmt: skip


def test_a_slow_mail_server_does_not_lock_the_warehouse(tmp_path, smtp_server, monkeypatch):
    # The digests are sent after the step has closed the warehouse: operators' commands
    # (`kvarter alerts list`) open it while the server takes its time.
    server = smtp_server("plain")
    server.inbox.delay = 2.0
    for name, value in (("HOST", "127.0.0.1"), ("PORT", str(server.port)), ("SECURITY", "none")):
        monkeypatch.setenv(f"KVARTER_SMTP_{name}", value)
    storage = KvarterStorage.under(tmp_path)
    signals = [("BO04", "emp_benefit_fte", "alarm")]
    with warehouse(storage.warehouse_path, dt.date(2025, 12, 1), signals) as con:
        apply_month(con, "run-1")
    with ThreadPoolExecutor(1) as pool:
        run = pool.submit(dg.materialize, [alert_emails], resources={"storage": storage})
        assert server.inbox.receiving.wait(timeout=60)
        # Another process, read-write, as the CLI opens it (one process shares its own).
        count = (
            "import duckdb, sys; con = duckdb.connect(sys.argv[1]);"
            " print(con.execute('select count(*) from alerts.episodes').fetchone()[0])"
        )
        cli = subprocess.run([sys.executable, "-c", count, storage.warehouse_path],
                             capture_output=True, text=True)  # fmt: skip
        assert (cli.returncode, cli.stdout) == (0, "1\n"), cli.stderr
        assert run.result().success
    assert [rcpt for rcpt, _ in server.inbox.received] == [["jobcenter@k.example"]]


def alarm_in_october_quiet_in_november(path, outbox, smtp):
    """BO04's alarm told in October's digest; November without a signal."""
    for month, signals in ((dt.date(2025, 10, 1), BO04_ALARM), (dt.date(2025, 11, 1), [])):
        with warehouse(path, month, signals) as con:
            run_month(con, outbox, f"run-{month:%m}", smtp, NOW)


BO04_ALARM = [("BO04", "emp_benefit_fte", "alarm")]


def test_an_episode_the_month_closed_and_its_delivery_again_reopens_goes_out_in_a_supplement(
    tmp_path, plain_server
):
    server, smtp = plain_server
    outbox, path = tmp_path / "outbox", tmp_path / "w.duckdb"
    december = dt.date(2025, 12, 1)
    alarm_in_october_quiet_in_november(path, outbox, smtp)
    with warehouse(path, december, []) as con:
        closed = run_month(con, outbox, "run-12", smtp, NOW)  # two months without a signal
        assert [t.to_state for t in closed.transitions] == ["afsluttet"]
        # December delivered again: BO04 signals after all.
        con.execute(
            "insert into signals.area_signals values ('BO04', 'emp_benefit_fte', ?, 'glr', ?,"
            " 'alarm', 'Højere end ventet.')",
            [december, dt.date(2025, 9, 1)],
        )
        again = run_month(con, outbox, "run-12b", smtp, NOW)
    assert [(t.from_state, t.to_state, t.note) for t in again.transitions] == [
        ("afsluttet", "igangværende", "leveret igen")
    ]
    [supplement] = again.delivery.sent
    assert supplement.startswith(f"{closed.delivery.sent[0]}-tillaeg-")
    _, mail = server.inbox.received[-1]
    assert mail["Subject"] == "Kvarterprofil, tidlig varsling december 2025 (tillæg): 1 genåbnet"
    text = mail.get_body("plain").get_content()
    assert "Genåbnede episoder (afsluttet, men måneden er leveret igen med signal):" in text
    assert "(episode BO04-emp_benefit_fte-op-2025-10)" in text


def test_an_episode_reopened_before_the_months_digest_went_out_is_told_as_ongoing(
    tmp_path, plain_server
):
    # December closed it, but its digest was not made before December was delivered again
    # and reopened it: its recipients never heard it had ended, so the month's first digest
    # tells it as ongoing, in full, not as reopened (before the twenty-second session:
    # "Genåbnede episoder (afsluttet, men ...)").
    server, smtp = plain_server
    outbox, path = tmp_path / "outbox", tmp_path / "w.duckdb"
    december = dt.date(2025, 12, 1)
    alarm_in_october_quiet_in_november(path, outbox, smtp)
    with warehouse(path, december, []) as con:
        _, transitions = apply_month(con, "run-12")  # the mail step did not run
        assert [t.to_state for t in transitions] == ["afsluttet"]
    with warehouse(path, december, BO04_ALARM) as con:
        again = run_month(con, outbox, "run-12b", smtp, NOW)
    assert [(t.from_state, t.to_state) for t in again.transitions] == [
        ("afsluttet", "igangværende")
    ]
    assert [mail["Subject"] for _, mail in server.inbox.received] == [
        "Kvarterprofil, tidlig varsling oktober 2025: 1 ny",
        "Kvarterprofil, tidlig varsling december 2025: 1 igangværende",
    ]
    text = server.inbox.received[-1][1].get_body("plain").get_content()
    assert "Igangværende episoder (gentaget i fuld længde):" in text and "Genåbnede" not in text


def test_an_alarm_silenced_before_its_first_digest_is_told_as_new_to_every_recipient(
    tmp_path, plain_server, monkeypatch
):
    # Silenced the month it opened, before its digest went out; back in December, for the
    # department and an area contact, whose digest fails once and is made on the re-run:
    # both are told it as new (review of this session: with "new" decided from the
    # episode's last_full_month, the department's digest made it ongoing for the other).
    server, smtp = plain_server
    contacts = tmp_path / "areas.csv"
    contacts.write_text("area_id,indicator_id,contact_email,name\nBO04,*,koord@k.example,K\n")
    monkeypatch.setenv("KVARTER_ALERT_AREA_CONTACTS", str(contacts))
    path, outbox = tmp_path / "w.duckdb", tmp_path / "outbox"
    october, november, december = (dt.date(2025, m, 1) for m in (10, 11, 12))
    alarm = [("BO04", "emp_benefit_fte", "alarm")]
    with warehouse(path, october, alarm) as con:
        apply_month(con, "run-10")
        [episode] = episode_store.load_episodes(con)
        quiet, transition = silence(episode, december, "mette", "kendt", "cli")
        episode_store.save(con, [quiet], [transition])
        month = alert_run.latest_month(con)
        mail_month(con, outbox, month, episode_store.transitions_of(con, month=month),
                   routing_from(con), smtp, NOW)  # fmt: skip
    with warehouse(path, november, alarm) as con:
        run_month(con, outbox, "run-11", smtp, NOW)
    assert server.inbox.received == []  # silenced: nothing told
    render, failed = alert_run.render, []

    def fails_once(digest, *args, **kwargs):
        if digest.recipient.address == "koord@k.example" and not failed:
            failed.append(digest.key)
            raise OSError("transient")
        return render(digest, *args, **kwargs)

    monkeypatch.setattr(alert_run, "render", fails_once)
    with warehouse(path, december, alarm) as con:
        first = run_month(con, outbox, "run-12", smtp, NOW)
        assert len(first.failed) == 1 and len(first.queued) == 1
        run_month(con, outbox, "run-12b", smtp, NOW)
        [episode] = episode_store.load_episodes(con)
    assert episode.state == "ny"
    received = {rcpt[0]: mail["Subject"] for rcpt, mail in server.inbox.received}
    assert received == {
        "jobcenter@k.example": "Kvarterprofil, tidlig varsling december 2025: 1 ny",
        "koord@k.example": "Kvarterprofil, tidlig varsling december 2025: 1 ny",
    }


def test_alarms_of_a_month_delivered_again_go_out_in_a_supplement(tmp_path, plain_server):
    server, smtp = plain_server
    outbox = tmp_path / "outbox"
    december = dt.date(2025, 12, 1)
    with warehouse(tmp_path / "w.duckdb", december, [("BO04", "emp_benefit_fte", "alarm")]) as con:
        first = run_month(con, outbox, "run-1", smtp, NOW)
        [key] = first.delivery.sent
        # As after a crash between queueing the digest and marking what it showed: the
        # digest itself says what it told, so BO04 is not told again.
        con.execute("update alerts.episodes set last_full_month = null")
        # December delivered again: BO05 now raises an alarm too.
        con.execute(
            "insert into signals.area_signals values ('BO05', 'emp_benefit_fte', ?, 'glr', ?,"
            " 'alarm', 'Højere end ventet.')",
            [december, dt.date(2025, 9, 1)],
        )
        again = run_month(con, outbox, "run-2", smtp, NOW)
        assert [(t.episode_id, t.to_state) for t in again.transitions] == [
            ("BO05-emp_benefit_fte-op-2025-12", "ny")
        ]
        [supplement] = again.delivery.sent
        assert supplement.startswith(f"{key}-tillaeg-") and again.already == [key]
        # What December's digest showed is recorded again from the digest itself.
        shown = {e.episode_id: e.last_full_month for e in episode_store.load_episodes(con)}
        assert shown == {"BO04-emp_benefit_fte-op-2025-12": december,
                         "BO05-emp_benefit_fte-op-2025-12": december}  # fmt: skip
        _, mail = server.inbox.received[1]
        assert mail["Subject"] == "Kvarterprofil, tidlig varsling december 2025 (tillæg): 1 ny"
        text = mail.get_body("plain").get_content()
        assert "Tillæg: disse episoder er kommet til, efter månedens første sammendrag." in text
        assert "Solsikkeparken (BO05)" in text and "(BO04)" not in text
        # Once told, nothing more: the same month a third time sends nothing.
        third = run_month(con, outbox, "run-3", smtp, NOW)
        assert third.queued == [] and third.delivery.sent == []
    assert len(server.inbox.received) == 2


def test_a_digest_set_aside_still_counts_as_made_when_the_month_comes_again(
    tmp_path, plain_server
):
    server, smtp = plain_server
    server.inbox.refuse["jobcenter@k.example"] = "550 5.1.1 no such user"
    outbox = tmp_path / "outbox"
    december = dt.date(2025, 12, 1)
    signals = [("BO04", "emp_benefit_fte", "watch"), ("BO05", "emp_benefit_fte", "alarm")]
    with warehouse(tmp_path / "w.duckdb", december, signals) as con:
        [key] = run_month(con, outbox, "run-1", smtp, NOW).delivery.rejected
        con.execute("update signals.area_signals set severity = 'alarm' where area_id = 'BO04'")
        again = run_month(con, outbox, "run-2", smtp, NOW)
    # The digest is not made again; BO04's escalation goes in a supplement of its own.
    [supplement] = again.queued
    assert again.already == [key] and supplement.startswith(f"{key}-tillaeg-")
    assert sorted(again.delivery.rejected) == [supplement]


def test_a_watch_the_month_delivered_again_makes_an_alarm_goes_out_escalated(
    tmp_path, plain_server
):
    server, smtp = plain_server
    outbox = tmp_path / "outbox"
    december = dt.date(2025, 12, 1)
    signals = [("BO04", "emp_benefit_fte", "watch"), ("BO05", "emp_benefit_fte", "alarm")]
    with warehouse(tmp_path / "w.duckdb", december, signals) as con:
        first = run_month(con, outbox, "run-1", smtp, NOW)
        [key] = first.delivery.sent  # BO05's alarm; BO04's watch is not mailed
        # December delivered again: BO04 is an alarm now.
        con.execute("update signals.area_signals set severity = 'alarm' where area_id = 'BO04'")
        again = run_month(con, outbox, "run-2", smtp, NOW)
        assert [(t.episode_id, t.from_state, t.to_state) for t in again.transitions] == [
            ("BO04-emp_benefit_fte-op-2025-12", "ny", "skærpet")
        ]
        [supplement] = again.delivery.sent
        assert supplement.startswith(f"{key}-tillaeg-")
        _, mail = server.inbox.received[1]
        assert mail["Subject"] == "Kvarterprofil, tidlig varsling december 2025 (tillæg): 1 skærpet"
        text = mail.get_body("plain").get_content()
        assert "(BO04)" in text and "Solsikkeparken (BO05)" not in text


def test_an_alarm_told_this_month_that_the_month_delivered_again_escalates_is_told_again(
    tmp_path, plain_server
):
    # December's digest told BO05's alarm as new; December delivered again (twice) brings
    # it near its statutory threshold (a threshold signal is a watch: the restated months
    # fall short of the alarm). The supplement tells the escalation (before the
    # twenty-second session: left out as "told", and next month it was only ongoing).
    server, smtp = plain_server
    outbox = tmp_path / "outbox"
    december = dt.date(2025, 12, 1)
    with warehouse(tmp_path / "w.duckdb", december, [("BO05", "emp_benefit_fte", "alarm")]) as con:
        [key] = run_month(con, outbox, "run-1", smtp, NOW).delivery.sent
        con.execute("update signals.area_signals set method = 'threshold', severity = 'watch'")
        again = run_month(con, outbox, "run-2", smtp, NOW)
        assert [(t.from_state, t.to_state) for t in again.transitions] == [("ny", "skærpet")]
        [supplement] = again.delivery.sent
        assert supplement.startswith(f"{key}-tillaeg-")
        third = run_month(con, outbox, "run-3", smtp, NOW)  # told: nothing more
        assert third.queued == [] and third.delivery.sent == []
    subjects = [mail["Subject"] for _, mail in server.inbox.received]
    assert subjects == [
        "Kvarterprofil, tidlig varsling december 2025: 1 ny",
        "Kvarterprofil, tidlig varsling december 2025 (tillæg): 1 skærpet",
    ]
    text = server.inbox.received[1][1].get_body("plain").get_content()
    assert text.index("Skærpede episoder:") < text.index("Solsikkeparken (BO05)")


def test_a_second_escalation_in_the_same_month_is_told_in_a_supplement(tmp_path, plain_server):
    # November's watch is December's alarm, told as escalated in December's digest; December
    # delivered again falls short of the alarm but brings the series near its statutory
    # threshold (a threshold signal is always a watch), a second escalation. Before the
    # twenty-third session it counted as told, and next month it was only ongoing.
    server, smtp = plain_server
    outbox = tmp_path / "outbox"
    path, november, december = tmp_path / "w.duckdb", dt.date(2025, 11, 1), dt.date(2025, 12, 1)
    near = "update signals.area_signals set method = 'threshold', severity = 'watch'"
    with warehouse(path, november, [("BO05", "emp_benefit_fte", "watch")]) as con:
        assert run_month(con, outbox, "run-11", smtp, NOW).queued == []  # a watch: no mail
    with warehouse(path, december, [("BO05", "emp_benefit_fte", "alarm")]) as con:
        [key] = run_month(con, outbox, "run-12", smtp, NOW).delivery.sent
        con.execute(near)
        again = run_month(con, outbox, "run-12b", smtp, NOW)
        assert [(t.from_state, t.to_state, t.note) for t in again.transitions] == [
            ("skærpet", "skærpet", "alarm -> watch (threshold), leveret igen")
        ]
        [supplement] = again.delivery.sent
        assert supplement.startswith(f"{key}-tillaeg-")
        # The model's alarm again, then the threshold again: escalated no further than told.
        con.execute("update signals.area_signals set method = 'glr', severity = 'alarm'")
        assert run_month(con, outbox, "run-12c", smtp, NOW).queued == []
        con.execute(near)
        fourth = run_month(con, outbox, "run-12d", smtp, NOW)
        assert fourth.transitions == [] and fourth.queued == []
    mails = [mail for _, mail in server.inbox.received]
    assert [(m["Subject"], m["X-Kvarter-Escalated"]) for m in mails] == [
        ("Kvarterprofil, tidlig varsling december 2025: 1 skærpet",
         "BO05-emp_benefit_fte-op-2025-11@alarm"),
        ("Kvarterprofil, tidlig varsling december 2025 (tillæg): 1 skærpet",
         "BO05-emp_benefit_fte-op-2025-11@alarm+threshold"),
    ]  # fmt: skip


def test_an_escalation_near_the_threshold_is_not_told_again_when_the_alarm_returns(
    tmp_path, plain_server
):
    # October's alarm, November's watch, December near the threshold: escalated, told
    # "@alarm+threshold". December delivered again brings the model's alarm back: the
    # episode has escalated no further (before the twenty-fourth session the header said
    # the signal then, "@watch+threshold", and the alarm went out again in a supplement).
    server, smtp = plain_server
    outbox, path = tmp_path / "outbox", tmp_path / "w.duckdb"
    for month, severity in ((dt.date(2025, 10, 1), "alarm"), (dt.date(2025, 11, 1), "watch")):
        with warehouse(path, month, [("BO05", "emp_benefit_fte", severity)]) as con:
            run_month(con, outbox, f"run-{month:%m}", smtp, NOW)
    with warehouse(path, dt.date(2025, 12, 1), [("BO05", "emp_benefit_fte", "watch")]) as con:
        con.execute("update signals.area_signals set method = 'threshold'")
        december = run_month(con, outbox, "run-12", smtp, NOW)
        assert [t.to_state for t in december.transitions] == ["skærpet"]
        con.execute("update signals.area_signals set method = 'glr', severity = 'alarm'")
        again = run_month(con, outbox, "run-12b", smtp, NOW)
        assert again.transitions == [] and again.queued == []
    assert [(m["Subject"], m["X-Kvarter-Escalated"]) for _, m in server.inbox.received] == [
        ("Kvarterprofil, tidlig varsling oktober 2025: 1 ny", ""),
        ("Kvarterprofil, tidlig varsling december 2025: 1 skærpet",
         "BO05-emp_benefit_fte-op-2025-10@alarm+threshold"),
    ]  # fmt: skip


def test_an_escalation_a_digest_of_the_previous_release_showed_is_not_told_again(
    tmp_path, plain_server
):
    # A digest made before X-Kvarter-Escalated existed lists its episodes by id only: an
    # escalation it showed counts as told when the month is run again after the upgrade.
    server, smtp = plain_server
    outbox = tmp_path / "outbox"
    path, november, december = tmp_path / "w.duckdb", dt.date(2025, 11, 1), dt.date(2025, 12, 1)
    with warehouse(path, november, [("BO05", "emp_benefit_fte", "watch")]) as con:
        run_month(con, outbox, "run-11", smtp, NOW)
    with warehouse(path, december, [("BO05", "emp_benefit_fte", "alarm")]) as con:
        [key] = run_month(con, outbox, "run-12", smtp, NOW).delivery.sent
        sent = outbox / "sent" / f"{key}.eml"
        old = "".join(
            line for line in sent.read_text().splitlines(keepends=True)
            if not line.startswith("X-Kvarter-Escalated")
        )  # fmt: skip
        sent.write_text(old)
        again = run_month(con, outbox, "run-12b", smtp, NOW)
    assert again.queued == [] and again.already == [key]
    assert [mail["Subject"] for _, mail in server.inbox.received] == [
        "Kvarterprofil, tidlig varsling december 2025: 1 skærpet"
    ]
