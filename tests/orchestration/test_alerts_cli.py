"""`kvarter alerts`: list, show, silence, unsilence, preview and resend on a hand-made month."""

import datetime as dt
import os
import subprocess
import sys

import duckdb
import pytest

from orchestration.cli import main
from signals.alert_run import apply_month, run_month
from signals.mail_queue import SmtpConfig
from tests.signals.test_alert_run import warehouse

EPISODE = "BO05-emp_benefit_fte-op-2025-12"


@pytest.fixture
def month(tmp_path, monkeypatch, smtp_server):
    server = smtp_server("plain")
    for name, value in (("KVARTER_WAREHOUSE", tmp_path / "w.duckdb"),
                        ("KVARTER_OUTBOX", tmp_path / "outbox"),
                        ("KVARTER_SMTP_HOST", "127.0.0.1"), ("KVARTER_SMTP_PORT", server.port),
                        ("KVARTER_SMTP_SECURITY", "none")):  # fmt: skip
        monkeypatch.setenv(name, str(value))
    smtp = SmtpConfig.from_env()
    with warehouse(tmp_path / "w.duckdb", dt.date(2025, 12, 1),
                   [("BO05", "emp_benefit_fte", "alarm")]) as con:  # fmt: skip
        report = run_month(con, tmp_path / "outbox", "run-1", smtp)
    return server, report


def test_list_show_silence_and_unsilence(month, capsys):
    assert main(["alerts", "list"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "1 episode(r)",
        f"  {EPISODE:<48} ny            alarm siden 2025-09 senest 2025-12",
    ]
    until = dt.date.today() + dt.timedelta(days=90)
    assert main(["alerts", "silence", EPISODE, "--until", "2020-01-01", "--reason", "x"]) == 2
    assert capsys.readouterr().err == "kvarter alerts: --until 2020-01-01 er ikke efter i dag\n"
    assert main(["alerts", "silence", EPISODE, "--until", f"{until}", "--reason",
                 "Kendt: renovering", "--by", "mette"]) == 0  # fmt: skip
    assert main(["alerts", "unsilence", EPISODE]) == 0
    capsys.readouterr()
    assert main(["alerts", "show", EPISODE]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"episode_id         {EPISODE}"
    assert [line.split(" kørsel ")[0].split() for line in out[-3:]] == [
        ["2025-12", "-", "->", "ny"],
        ["2025-12", "ny", "->", "dæmpet"],
        ["2025-12", "dæmpet", "->", "igangværende"],
    ]
    assert out[-2].endswith(f"kørsel cli til {until} af mette: Kendt: renovering")
    assert main(["alerts", "show", "BO99-x"]) == 2
    assert capsys.readouterr().err == "kvarter alerts: ingen episode med id BO99-x\n"


def test_preview_leaves_out_an_episode_the_alert_step_would_not_mail(month, capsys):
    # BO05's December cell hidden: its digest would tell something of the hidden value.
    with duckdb.connect(os.environ["KVARTER_WAREHOUSE"]) as con:
        con.execute("""update marts.fct_area_indicator_month set suppressed = true
            where area_id = 'BO05' and period = date '2025-12-01'""")
    assert main(["alerts", "preview", "--recipient", "jobcenter@k.example"]) == 0
    assert capsys.readouterr().out == "Intet sammendrag til jobcenter@k.example for 2025-12.\n"


@pytest.mark.parametrize(
    ("older", "missing"),
    [
        ("drop table publication.published_cells", "findes ikke"),
        ("alter table publication.published_cells drop column suppressed",
         "mangler kolonnen suppressed"),
    ],
)  # fmt: skip
def test_preview_of_a_warehouse_from_before_the_memory_says_what_to_do(
    month, capsys, older, missing
):
    with duckdb.connect(os.environ["KVARTER_WAREHOUSE"]) as con:
        con.execute(older)
    assert main(["alerts", "preview", "--recipient", "jobcenter@k.example"]) == 2
    assert capsys.readouterr().err == (
        f"kvarter alerts: lageret er fra en ældre version (publication.published_cells "
        f"{missing}): kør `kvarter run` én gang, så kan sammendraget vises\n"
    )
    assert main(["alerts", "list"]) == 0  # reading episodes needs no memory


def test_preview_and_resend(month, capsys):
    server, report = month
    assert main(["alerts", "preview", "--recipient", "jobcenter@k.example"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(
        "To: jobcenter@k.example\nSubject: Kvarterprofil, tidlig varsling december 2025: 1 ny\n"
    )
    assert "Solsikkeparken (BO05): Fuldtidspersoner på offentlig forsørgelse" in out
    assert main(["alerts", "preview", "--recipient", "bolig@k.example"]) == 0
    assert capsys.readouterr().out == "Intet sammendrag til bolig@k.example for 2025-12.\n"
    [key] = report.delivery.sent
    assert main(["alerts", "resend", key]) == 0
    assert capsys.readouterr().out == f"{key}: sent\n"
    assert [m["Message-ID"] for _, m in server.inbox.received] == [f"<{key}@kvarterprofil>"] * 2
    # Refused for now: the operator is told why, and it stays queued.
    server.inbox.refuse["jobcenter@k.example"] = "450 4.2.1 try later"
    assert main(["alerts", "resend", key]) == 1
    assert capsys.readouterr().out == (
        f"{key}: ikke sendt, ligger i kø: SMTP 127.0.0.1:{server.port}: refused "
        "jobcenter@k.example: 450 4.2.1 try later\n"
    )
    # Refused for good: set aside, and resent from there once the cause is fixed.
    server.inbox.refuse["jobcenter@k.example"] = "550 5.1.1 no such user"
    assert main(["alerts", "resend", key]) == 1
    assert capsys.readouterr().out == (
        f"{key}: afvist igen, lagt til side i {os.environ['KVARTER_OUTBOX']}/failed: "
        f"SMTP 127.0.0.1:{server.port}: refused jobcenter@k.example: 550 5.1.1 no such user\n"
    )
    del server.inbox.refuse["jobcenter@k.example"]
    assert main(["alerts", "resend", key]) == 0
    assert capsys.readouterr().out == f"{key}: sent\n"
    assert len(server.inbox.received) == 3


def test_a_warehouse_a_run_is_writing_is_named_not_a_traceback(month, tmp_path, capsys):
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys, time; c = duckdb.connect(sys.argv[1]);"
         " print('open', flush=True); time.sleep(60)", str(tmp_path / "w.duckdb")],
        stdout=subprocess.PIPE,
    )  # fmt: skip
    try:
        assert holder.stdout.readline() == b"open\n"
        assert main(["alerts", "list"]) == 3
    finally:
        holder.kill()
        holder.wait()
    assert capsys.readouterr().err == (
        f"kvarter alerts: lageret {tmp_path / 'w.duckdb'} bruges af en kørsel lige nu"
        " (en anden proces skriver i det); prøv igen, når den er færdig\n"
    )


def lifted_by_hand(tmp_path, monkeypatch, smtp_server):
    """November: two alarms, one silenced before the month's digest (which tells the
    other), then lifted with `kvarter alerts unsilence`."""
    server = smtp_server("plain")
    path = tmp_path / "w.duckdb"
    monkeypatch.setenv("KVARTER_WAREHOUSE", str(path))
    smtp = SmtpConfig("127.0.0.1", server.port, "none", None, None, None)
    alarms = [("BO04", "emp_benefit_fte", "alarm"), ("BO05", "emp_benefit_fte", "alarm")]
    with warehouse(path, dt.date(2025, 11, 1), alarms) as con:
        apply_month(con, "run-11")
    until = dt.date.today() + dt.timedelta(days=90)
    quiet = "BO05-emp_benefit_fte-op-2025-11"
    assert main(["alerts", "silence", quiet, "--until", f"{until}", "--reason", "x"]) == 0
    with warehouse(path, dt.date(2025, 11, 1), alarms) as con:
        assert len(run_month(con, tmp_path / "outbox", "run-11b", smtp).queued) == 1
    assert main(["alerts", "unsilence", quiet]) == 0
    [(_, november)] = server.inbox.received
    assert november["Subject"] == "Kvarterprofil, tidlig varsling november 2025: 1 ny"
    return server, smtp, alarms, path


def test_an_alarm_lifted_by_hand_before_any_digest_showed_it_is_told_as_new(
    tmp_path, monkeypatch, smtp_server
):
    # Next month's digest tells it as new, not as an ongoing episode "repeated in full"
    # (what it said before the twenty-second session), beside the other, ongoing one.
    server, smtp, alarms, path = lifted_by_hand(tmp_path, monkeypatch, smtp_server)
    with warehouse(path, dt.date(2025, 12, 1), alarms) as con:
        assert len(run_month(con, tmp_path / "outbox", "run-12", smtp).queued) == 1
    [_, (_, december)] = server.inbox.received
    assert december["Subject"] == (
        "Kvarterprofil, tidlig varsling december 2025: 1 ny, 1 igangværende"
    )
    text = december.get_body("plain").get_content()
    assert text.index("Nye episoder:") < text.index("Solsikkeparken (BO05)")
    assert "gentaget" not in text


def test_the_supplement_after_a_silence_lifted_by_hand_claims_no_new_delivery(
    tmp_path, monkeypatch, smtp_server
):
    server, smtp, alarms, path = lifted_by_hand(tmp_path, monkeypatch, smtp_server)
    with warehouse(path, dt.date(2025, 11, 1), alarms) as con:  # the month's step again
        assert len(run_month(con, tmp_path / "outbox", "run-11c", smtp).queued) == 1
    [_, (_, supplement)] = server.inbox.received
    assert supplement["Subject"] == "Kvarterprofil, tidlig varsling november 2025 (tillæg): 1 ny"
    text = supplement.get_body("plain").get_content()
    assert "Tillæg: disse episoder er kommet til, efter månedens første sammendrag." in text
    assert "leveret igen" not in text and "Solsikkeparken (BO05)" in text
