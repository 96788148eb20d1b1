"""A failed run mails the data engineers through the same outbox and SMTP transport, from
Dagster's own run-failure sensor."""

import datetime as dt
from email.message import EmailMessage
from pathlib import Path

import dagster as dg

from orchestration.defs.alerts import data_team_failure_mail, outbox_delivery
from orchestration.resources import KvarterStorage
from signals.mail_queue import SmtpConfig, deliver, enqueue


@dg.asset
def marts():
    return 1


@dg.asset_check(asset=marts, blocking=True)
def shares_within_bounds():
    return dg.AssetCheckResult(passed=False, severity=dg.AssetCheckSeverity.ERROR)


@dg.asset(deps=[marts])
def published():
    return 1


@dg.asset
def residents():
    raise ValueError("borgere.csv line 7: birth date 31-02-1990 does not exist")


def test_a_failed_run_mails_the_data_team(tmp_path, smtp_server, monkeypatch):
    server = smtp_server("plain")
    monkeypatch.setenv("KVARTER_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KVARTER_SMTP_PORT", str(server.port))
    monkeypatch.setenv("KVARTER_SMTP_SECURITY", "none")
    monkeypatch.setenv("KVARTER_DATA_TEAM_MAIL", "data@k.example, vagt@k.example")
    storage = KvarterStorage.under(tmp_path)
    instance = dg.DagsterInstance.ephemeral()
    result = dg.materialize(
        [marts, shares_within_bounds, published, residents],
        instance=instance,
        raise_on_error=False,
    )
    assert not result.success
    context = dg.build_run_status_sensor_context(
        sensor_name="data_team_failure_mail",
        dagster_instance=instance,
        dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event(),
        resources={"storage": storage},
    ).for_run_failure()
    data_team_failure_mail(context)

    [(rcpt, msg)] = server.inbox.received
    assert rcpt == ["data@k.example", "vagt@k.example"]
    run_id = result.run_id
    assert msg["Subject"] == f"[Kvarter] Run failed: __ephemeral_asset_job__ ({run_id[:8]})"
    assert msg["Message-ID"] == f"<failure-{run_id}@kvarterprofil>"
    lines = [line for line in msg.get_content().splitlines() if line.startswith("- ")]
    assert "- check shares_within_bounds on marts FAILED" in lines
    [step] = [line for line in lines if line.startswith("- step residents failed: ")]
    assert step.endswith("ValueError: borgere.csv line 7: birth date 31-02-1990 does not exist")
    [gate] = [line for line in lines if line.startswith("- step marts_shares_within_bounds")]
    assert "1 blocking asset check failed with ERROR severity" in gate
    assert len(lines) == 3
    # The published asset behind the failed blocking check did not run.
    assert "published" not in {
        e.asset_key.to_user_string() for e in result.get_asset_materialization_events()
    }


def failed_an_hour_ago(storage: KvarterStorage) -> Path:
    """The storage's outbox, holding a digest whose delivery failed an hour ago."""
    outbox = Path(storage.outbox_dir)
    message = EmailMessage()
    message["To"], message["Subject"] = "jobcenter@k.example", "Digest"
    message.set_content("Hej")
    enqueue(outbox, "digest-2025-12-jobcenter", message)
    an_hour_ago = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
    assert deliver(outbox, SmtpConfig.from_env(), an_hour_ago).failed
    return outbox


def test_the_outbox_is_sent_on_its_backoff_between_runs(tmp_path, smtp_server, monkeypatch):
    # A digest that failed while the server was down is sent by the sensor once its
    # backoff has passed, with no run.
    server = smtp_server("plain", started=False)
    monkeypatch.setenv("KVARTER_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("KVARTER_SMTP_PORT", str(server.port))
    monkeypatch.setenv("KVARTER_SMTP_SECURITY", "none")
    storage = KvarterStorage.under(tmp_path)
    outbox = failed_an_hour_ago(storage)  # down: 15 min wait

    server.start()
    context = dg.build_sensor_context(resources={"storage": storage})
    assert outbox_delivery(context).skip_message == (
        "sent 1, failed 0, refused for good 0, waiting 0"
    )
    assert [rcpt for rcpt, _ in server.inbox.received] == [["jobcenter@k.example"]]
    assert (outbox / "sent" / "digest-2025-12-jobcenter.eml").exists()
    monkeypatch.delenv("KVARTER_SMTP_HOST")
    assert "no SMTP server configured" in outbox_delivery(context).skip_message


def test_a_refusal_for_good_between_runs_is_mailed_to_the_data_team(
    tmp_path, smtp_server, monkeypatch
):
    # Refused for now in the run's step, then for good on the sensor's retry: no run
    # fails, so the sensor tells the data team itself.
    server = smtp_server("plain")
    server.inbox.refuse["jobcenter@k.example"] = "450 4.2.1 try later"
    for name, value in (("KVARTER_SMTP_HOST", "127.0.0.1"), ("KVARTER_SMTP_PORT", server.port),
                        ("KVARTER_SMTP_SECURITY", "none"),
                        ("KVARTER_DATA_TEAM_MAIL", "data@k.example")):  # fmt: skip
        monkeypatch.setenv(name, str(value))
    storage = KvarterStorage.under(tmp_path)
    outbox = failed_an_hour_ago(storage)

    server.inbox.refuse["jobcenter@k.example"] = "550 5.1.1 no such user"
    context = dg.build_sensor_context(resources={"storage": storage})
    assert outbox_delivery(context).skip_message == (
        "sent 0, failed 0, refused for good 1, waiting 0"
    )
    [(rcpt, mail)] = server.inbox.received
    assert rcpt == ["data@k.example"]
    assert mail["Subject"] == "[Kvarter] Mail refused for good: 1 message(s)"
    assert (
        f"- digest-2025-12-jobcenter: SMTP 127.0.0.1:{server.port}: refused "
        "jobcenter@k.example: 550 5.1.1 no such user" in mail.get_content()
    )
    assert (outbox / "failed" / "digest-2025-12-jobcenter.eml").exists()
