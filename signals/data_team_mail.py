"""Mail to the data engineers (KVARTER_DATA_TEAM_MAIL, comma-separated): a failed run,
deliveries that are late, and mail the server refused for good outside a run."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from email.message import EmailMessage
from email.utils import format_datetime

from signals.alerts import DEFAULT_SENDER, header_text

DEFAULT_DATA_TEAM = "data-team@kommune.example"


def data_team() -> list[str]:
    return [
        a.strip()
        for a in os.environ.get("KVARTER_DATA_TEAM_MAIL", DEFAULT_DATA_TEAM).split(",")
        if a.strip()
    ]


def _causes(error) -> str:
    messages = []
    while error is not None:
        messages.append(error.message.strip())
        error = error.cause or error.context
    return " <- ".join(messages)


def failure_lines(events) -> list[str]:
    """A line per failed step (with the error behind Dagster's wrapper) and per failed
    asset check, from a run's Dagster events."""
    lines = []
    for event in events:
        if event.is_step_failure:
            lines.append(f"step {event.step_key} failed: {_causes(event.step_failure_data.error)}")
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if not data.passed:
                lines.append(
                    f"check {data.check_name} on {data.asset_key.to_user_string()} FAILED"
                )
    return lines


def _message(subject: str, body: str, key: str, now: dt.datetime | None) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = os.environ.get("KVARTER_MAIL_FROM", DEFAULT_SENDER)
    msg["To"] = ", ".join(data_team())
    msg["Subject"] = header_text(subject)
    msg["Date"] = format_datetime(now or dt.datetime.now(dt.UTC))
    msg["Message-ID"] = f"<{key}@kvarterprofil>"
    msg.set_content(body)
    return msg


def failure_message(
    job_name: str, run_id: str, events, now: dt.datetime | None = None
) -> EmailMessage:
    lines = failure_lines(events) or ["(no failed step or check recorded)"]
    body = (
        f"Dagster run {run_id} of job {job_name} failed.\n\n"
        + "\n".join(f"- {line}" for line in lines)
        + "\n\nOpen the run in the Dagster UI for the logs. Nothing downstream of a failed "
        "step or blocking check was published or mailed (alert digests go out only after "
        "the disclosure audit passed).\n"
    )
    return _message(
        f"[Kvarter] Run failed: {job_name} ({run_id[:8]})", body, f"failure-{run_id}", now
    )


def late_message(late: list[str], today: dt.date, now: dt.datetime | None = None) -> EmailMessage:
    body = (
        f"These deliveries had not arrived in the landing zone on {today:%Y-%m-%d}, past the "
        "day they are due (KVARTER_DELIVERY_DUE_DAYS):\n\n"
        + "\n".join(f"- {source}" for source in late)
        + "\n\nThe month's extract will fail naming the missing file until it arrives.\n"
    )
    # The sources named by a digest of them: a month's whole delivery named one by one
    # made a file name too long for the outbox (errno 36), and no mail went.
    which = hashlib.sha256("\n".join(sorted(late)).encode()).hexdigest()[:12]
    key = f"late-{today:%Y-%m-%d}-{len(late)}-{which}"
    return _message(f"[Kvarter] Late deliveries: {len(late)}", body, key, now)


def refused_message(
    refused: dict[str, str], outbox: str, now: dt.datetime | None = None
) -> EmailMessage:
    """The messages a delivery between runs set aside (a refusal for good, 5xx)."""
    body = (
        "The mail server refused these messages for good; they are set aside in "
        f"{outbox}/failed and not tried again:\n\n"
        + "\n".join(f"- {key}: {error}" for key, error in sorted(refused.items()))
        + "\n\nFix the cause (an address in the contacts, the server's policy), then "
        "`kvarter alerts resend KEY` sends one again.\n"
    )
    digest = hashlib.sha256("\n".join(sorted(refused)).encode()).hexdigest()[:12]
    return _message(
        f"[Kvarter] Mail refused for good: {len(refused)} message(s)", body,
        f"refused-{digest}", now,
    )  # fmt: skip
