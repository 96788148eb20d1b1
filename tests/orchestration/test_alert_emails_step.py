"""The `alert_emails` step through Dagster: what it does with the outbox and the server."""

import datetime as dt
from pathlib import Path

import dagster as dg

from orchestration.defs.alerts import alert_emails
from orchestration.resources import KvarterStorage
from signals.alert_run import run_month
from tests.signals.test_alert_run import warehouse


def test_a_digest_refused_for_good_fails_the_step_once_and_is_set_aside(
    tmp_path, smtp_server, monkeypatch
):
    server = smtp_server("plain")
    server.inbox.refuse["jobcenter@k.example"] = "550 5.1.1 no such user"
    for name, value in (("KVARTER_SMTP_HOST", "127.0.0.1"), ("KVARTER_SMTP_PORT", server.port),
                        ("KVARTER_SMTP_SECURITY", "none")):  # fmt: skip
        monkeypatch.setenv(name, str(value))
    storage = KvarterStorage.under(tmp_path)
    outbox = Path(storage.outbox_dir)
    signals = [("BO05", "emp_benefit_fte", "alarm")]
    with warehouse(storage.warehouse_path, dt.date(2025, 12, 1), signals) as con:
        run_month(con, outbox, "run-1", None)  # the month's episodes, its digest queued
    [queued] = [p.stem for p in outbox.glob("*.eml")]

    first = dg.materialize([alert_emails], resources={"storage": storage}, raise_on_error=False)
    assert not first.success
    [failure] = [e for e in first.all_events if e.event_type_value == "STEP_FAILURE"]
    description = failure.step_failure_data.user_failure_data.description
    assert description == (
        f"1 digest(s) refused for good (set aside in {outbox / 'failed'}; `kvarter alerts "
        f"resend` once the cause is fixed): {queued}: SMTP 127.0.0.1:{server.port}: refused "
        "jobcenter@k.example: 550 5.1.1 no such user"
    )
    assert [p.name for p in (outbox / "failed").glob("*.eml")] == [f"{queued}.eml"]
    # Not tried again: the next run's step passes and the server sees nothing more.
    second = dg.materialize([alert_emails], resources={"storage": storage})
    [materialisation] = second.asset_materializations_for_node("alert_emails")
    assert materialisation.metadata["refused_for_good"].value == 0
    assert server.inbox.received == [] and not list(outbox.glob("*.eml"))
