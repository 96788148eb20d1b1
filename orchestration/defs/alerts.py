"""The alert episodes and digests as Dagster assets, and the data team's mail on a failed
run.

Episodes and digests are two assets so that a mail server that is down (which fails the
digests) never holds back the publish, which shows the episodes; the digests come after the
publish and its disclosure audit. Both open the warehouse
(episodes live there), so they are in the warehouse pool; the failure sensor only reads
Dagster's own event log.
"""

import datetime as dt
import json
from pathlib import Path

import dagster as dg

from orchestration.defs.dbt import CONTACTS, DIM_AREA, DIM_INDICATOR
from orchestration.defs.detection import area_signals
from orchestration.resources import WAREHOUSE_POOL, KvarterStorage
from signals import episode_store
from signals.alert_run import apply_month, latest_month, mail_month, routing_from
from signals.data_team_mail import failure_message, late_message, refused_message
from signals.mail_queue import FIRST_RETRY, DeliveryReport, SmtpConfig, deliver, enqueue
from sources.deliveries_due import due_days, late_deliveries


@dg.asset(
    deps=[area_signals],
    group_name="signals",
    pool=WAREHOUSE_POOL,
    kinds={"python", "duckdb"},
    description="Alert episodes and their transitions (restricted: alerts.episodes, "
    "alerts.transitions), the latest month's signals applied, and the view of them that "
    "may be published (alerts.published_episodes, alerts.published_transitions).",
)
def alert_episodes(
    context: dg.AssetExecutionContext, storage: KvarterStorage
) -> dg.MaterializeResult:
    with storage.connect() as con:
        month, transitions = apply_month(con, context.run.run_id)
        episode_store.write_published_view(con)
    for transition in transitions:
        context.log.info(
            f"episode {transition.episode_id}: {transition.from_state or '-'} -> "
            f"{transition.to_state} {transition.note}"
        )
    return dg.MaterializeResult(
        metadata={"month": f"{month:%Y-%m}", "transitions": len(transitions)}
    )


# The digests carry published values, the expected level and the detector's explanation:
# they go out only once the disclosure audit passed and the copy is published (a failed
# audit skips them). A key, not the asset: publish.py depends on alert_episodes above.
PUBLISHED = dg.AssetKey("published_marts")


@dg.asset(
    deps=[alert_episodes, PUBLISHED, CONTACTS, DIM_AREA, DIM_INDICATOR],
    group_name="signals",
    pool=WAREHOUSE_POOL,
    kinds={"email", "duckdb"},
    description="One Danish digest per recipient for the month's episodes, queued in the "
    "outbox and sent by SMTP when configured.",
)
def alert_emails(
    context: dg.AssetExecutionContext, storage: KvarterStorage
) -> dg.MaterializeResult:
    outbox, smtp = Path(storage.outbox_dir), SmtpConfig.from_env()
    with storage.connect() as con:
        month = latest_month(con)
        report = mail_month(
            con, outbox, month, episode_store.transitions_of(con, month=month),
            routing_from(con), smtp=None,
        )  # fmt: skip
    # Sent with the warehouse closed: a slow mail server must not lock operators out.
    report.delivery = deliver(outbox, smtp)
    for key in report.queued:
        context.log.info(f"queued {key}")
    metadata = {
        "month": f"{report.month:%Y-%m}",
        "transitions": len(report.transitions),
        "digests_queued": len(report.queued),
        "digests_already_queued_or_sent": len(report.already),
        "digests_failed": len(report.failed),
        "sent": len(report.delivery.sent),
        "send_failed": len(report.delivery.failed),
        "refused_for_good": len(report.delivery.rejected),
        "waiting_for_retry": len(report.delivery.waiting),
        "left_in_outbox": len(report.delivery.queued),
    }
    problems = [
        f"{len(digests)} digest(s) {what}: "
        + "; ".join(f"{key}: {error}" for key, error in sorted(digests.items()))
        for what, digests in (
            ("not rendered or not sent (kept queued)", {**report.failed, **report.delivery.failed}),
            (f"refused for good (set aside in {outbox / 'failed'}; `kvarter alerts resend` "
             "once the cause is fixed)", report.delivery.rejected),
        )  # fmt: skip
        if digests
    ]
    if problems:
        # The others are queued or sent; the step fails so the data team hears of these.
        raise dg.Failure(description=". ".join(problems), metadata=metadata)
    return dg.MaterializeResult(metadata=metadata)


@dg.run_failure_sensor(
    name="data_team_failure_mail",
    description="Mails the data engineers when a run fails (a failed step or blocking check).",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def data_team_failure_mail(context: dg.RunFailureSensorContext, storage: KvarterStorage):
    run = context.dagster_run
    events = [
        entry.dagster_event
        for entry in context.instance.all_logs(run.run_id)
        if entry.dagster_event is not None
    ]
    outbox = Path(storage.outbox_dir)
    enqueue(outbox, f"failure-{run.run_id}", failure_message(run.job_name, run.run_id, events))
    report = deliver_telling_refusals(outbox, SmtpConfig.from_env(), context.log)
    context.log.info(f"failure mail for run {run.run_id}: sent {report.sent or 'nothing'}")


@dg.sensor(
    name="late_delivery_mail",
    description="Mails the data engineers once for each monthly file delivery past its due day.",
    minimum_interval_seconds=3600,
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def late_delivery_mail(context: dg.SensorEvaluationContext, storage: KvarterStorage):
    today = dt.date.today()
    reported = set(json.loads(context.cursor)) if context.cursor else set()
    late = [s for s in late_deliveries(storage.landing, today, due_days()) if s not in reported]
    if not late:
        return dg.SkipReason("no delivery newly late")
    outbox = Path(storage.outbox_dir)
    message = late_message(late, today)
    enqueue(outbox, *_keyed(message))
    deliver_telling_refusals(outbox, SmtpConfig.from_env(), context.log)
    context.update_cursor(json.dumps(sorted(reported | set(late))))
    return dg.SkipReason(f"reported late: {', '.join(late)}")


@dg.sensor(
    name="outbox_delivery",
    description="Sends the outbox's queued mail whose backoff has passed (15 min, doubling).",
    minimum_interval_seconds=int(FIRST_RETRY.total_seconds()),
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def outbox_delivery(context: dg.SensorEvaluationContext, storage: KvarterStorage):
    smtp = SmtpConfig.from_env()
    if smtp is None:
        return dg.SkipReason("no SMTP server configured (KVARTER_SMTP_HOST): the outbox keeps it")
    report = deliver_telling_refusals(Path(storage.outbox_dir), smtp, context.log)
    for key, error in sorted(report.failed.items()):
        context.log.warning(f"{key} not sent, kept queued: {error}")
    return dg.SkipReason(
        f"sent {len(report.sent)}, failed {len(report.failed)}, "
        f"refused for good {len(report.rejected)}, waiting {len(report.waiting)}"
    )


def deliver_telling_refusals(outbox: Path, smtp: SmtpConfig | None, log) -> DeliveryReport:
    """`deliver`, outside the `alert_emails` step (whose failure tells the data team): what
    the server refused for good is logged and mailed to the data team."""
    report = deliver(outbox, smtp)
    for key, error in sorted(report.rejected.items()):
        log.error(f"{key} refused for good, set aside in {outbox / 'failed'}: {error}")
    if report.rejected:
        enqueue(outbox, *_keyed(refused_message(report.rejected, str(outbox))))
        deliver(outbox, smtp)
    return report


def _keyed(message) -> tuple:
    """(outbox key, message): the key is the Message-ID's local part."""
    return message["Message-ID"].strip("<>").split("@")[0], message
