"""The outbox as a durable mail queue, and SMTP delivery from it (at least once).

    outbox/<key>.eml         queued (written whole: temp file, then rename)
    outbox/<key>.retry.json  attempts so far, the last error, when to try next, and the
                             recipients still to reach when the server refused only some
    outbox/sent/<key>.eml    delivered

A key is enqueued once: queued or sent, the same key is not written again, so re-running
a month queues nothing twice. Delivery moves a message to sent/ only after the server
accepted it for every recipient; a failure keeps it queued with a backoff. A refusal
(the server's answer to one message) costs that message only, the next ones are still
sent; a lost connection stops the round. One delivery at a time per outbox (a lock
file), so two processes delivering at once do not send the same message twice. Delivery
is at least once: the Message-ID is stable per key, so a receiver can drop the rare
duplicate (a crash between the server's acceptance and the move to sent/).
Without KVARTER_SMTP_HOST nothing is sent: the outbox is the fallback.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import os
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import SMTP, default
from pathlib import Path

FIRST_RETRY = dt.timedelta(minutes=15)
MAX_RETRY = dt.timedelta(hours=24)
SECURITY = ("starttls", "tls", "none")


class MailConfigError(ValueError):
    pass


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: str  # starttls | tls (implicit, usually port 465) | none (tests, local relays)
    user: str | None
    password: str | None
    ca_file: str | None  # a private CA (or a test's self-signed certificate)
    timeout: float = 30.0

    @classmethod
    def from_env(cls, env=os.environ) -> SmtpConfig | None:
        """From KVARTER_SMTP_*; None when no host is configured."""
        host = env.get("KVARTER_SMTP_HOST", "").strip()
        if not host:
            return None
        security = env.get("KVARTER_SMTP_SECURITY", "starttls")
        if security not in SECURITY:
            raise MailConfigError(
                f"KVARTER_SMTP_SECURITY={security!r}: brug en af {', '.join(SECURITY)}"
            )
        port = env.get("KVARTER_SMTP_PORT") or {"starttls": 587, "tls": 465, "none": 25}[security]
        user = env.get("KVARTER_SMTP_USER") or None
        password = env.get("KVARTER_SMTP_PASSWORD") or None
        if bool(user) != bool(password):
            raise MailConfigError("KVARTER_SMTP_USER og KVARTER_SMTP_PASSWORD sættes sammen")
        if user and security == "none":
            raise MailConfigError("login uden TLS afvises: sæt KVARTER_SMTP_SECURITY")
        ca_file = env.get("KVARTER_SMTP_CA_FILE") or None
        if ca_file and not Path(ca_file).is_file():
            raise MailConfigError(f"KVARTER_SMTP_CA_FILE={ca_file}: filen findes ikke")
        return cls(host, int(port), security, user, password, ca_file)


@dataclass
class DeliveryReport:
    sent: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # key -> error
    waiting: list[str] = field(default_factory=list)  # in backoff
    queued: list[str] = field(default_factory=list)  # left in the outbox (no server)


def enqueue(outbox: Path, key: str, message: EmailMessage) -> bool:
    """Queue a message under its key; False if the key is queued or sent already."""
    (outbox / "sent").mkdir(parents=True, exist_ok=True)
    path = outbox / f"{key}.eml"
    if path.exists() or (outbox / "sent" / path.name).exists():
        return False
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(message.as_bytes(policy=SMTP))  # CRLF line ends, RFC 5322
    tmp.replace(path)
    return True


def queued(outbox: Path) -> list[Path]:
    return sorted(outbox.glob("*.eml"))


def read(path: Path) -> EmailMessage:
    with path.open("rb") as f:
        return BytesParser(policy=default).parse(f)


def requeue(outbox: Path, key: str) -> None:
    """Put a sent message back in the queue (`kvarter alerts resend`)."""
    sent = outbox / "sent" / f"{key}.eml"
    if not sent.exists():
        raise KeyError(f"ingen sendt besked med id {key} i {outbox / 'sent'}")
    sent.replace(outbox / sent.name)
    (outbox / f"{key}.retry.json").unlink(missing_ok=True)


def _retry_state(path: Path) -> dict:
    state = path.with_name(f"{path.stem}.retry.json")
    return json.loads(state.read_text()) if state.exists() else {"attempts": 0}


def _record_failure(path: Path, error: str, now: dt.datetime, recipients=None) -> None:
    """Count the attempt and set the next; `recipients`: those still to reach (the
    others accepted it), else the last attempt's."""
    state = _retry_state(path)
    attempts = state["attempts"] + 1
    wait = min(FIRST_RETRY * 2 ** (attempts - 1), MAX_RETRY)
    retry = {"attempts": attempts, "last_error": error, "next_attempt": (now + wait).isoformat()}
    if recipients or state.get("recipients"):
        retry["recipients"] = sorted(recipients or state["recipients"])
    path.with_name(f"{path.stem}.retry.json").write_text(json.dumps(retry))


def _connect(config: SmtpConfig) -> smtplib.SMTP:
    if config.security == "tls":
        context = ssl.create_default_context(cafile=config.ca_file)
        server = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=context)
    else:
        server = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        if config.security == "starttls":
            server.starttls(context=ssl.create_default_context(cafile=config.ca_file))
    if config.user:
        try:
            server.login(config.user, config.password)
        except smtplib.SMTPAuthenticationError as error:
            server.close()
            raise smtplib.SMTPAuthenticationError(
                error.smtp_code,
                f"SMTP-serveren {config.host}:{config.port} afviste login for "
                f"{config.user!r}: tjek KVARTER_SMTP_USER og KVARTER_SMTP_PASSWORD",
            ) from error
    return server


def _describe(error: Exception, config: SmtpConfig) -> str:
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"login afvist: {error.smtp_error}"
    return f"SMTP {config.host}:{config.port} ({config.security}): {type(error).__name__}: {error}"


def deliver(outbox: Path, config: SmtpConfig | None, now: dt.datetime | None = None):
    """Send every queued message whose backoff has passed, over one connection, while
    holding the outbox's lock (another delivery waits for it)."""
    if config is None:  # nothing sent: no lock to wait for
        return _deliver(outbox, None, now)
    outbox.mkdir(parents=True, exist_ok=True)
    with (outbox / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _deliver(outbox, config, now or dt.datetime.now(dt.UTC))


def _deliver(outbox: Path, config: SmtpConfig | None, now: dt.datetime) -> DeliveryReport:
    report = DeliveryReport()
    due = []
    for path in queued(outbox):
        if config is None:
            report.queued.append(path.stem)
        elif "next_attempt" in (state := _retry_state(path)) and (
            dt.datetime.fromisoformat(state["next_attempt"]) > now
        ):
            report.waiting.append(path.stem)
        else:
            due.append(path)
    if not due:
        return report
    try:
        server = _connect(config)
    except (OSError, smtplib.SMTPException) as error:  # server down, TLS, login
        for path in due:
            _record_failure(path, _describe(error, config), now)
            report.failed[path.stem] = _describe(error, config)
        return report

    def lost(error, rest):
        for path in rest:
            _record_failure(path, _describe(error, config), now)
            report.failed[path.stem] = _describe(error, config)

    try:
        for index, path in enumerate(due):
            message, recipients = read(path), _retry_state(path).get("recipients")
            try:
                refused = server.send_message(message, to_addrs=recipients)
            # smtplib's errors are OSErrors: the server's answers first.
            except smtplib.SMTPServerDisconnected as error:
                lost(error, due[index:])
                break
            except smtplib.SMTPException as error:  # refused: this message only
                _record_failure(path, _describe(error, config), now)
                report.failed[path.stem] = _describe(error, config)
                if server.sock is None:  # a 421 closes the connection
                    lost(error, due[index + 1 :])
                    break
                continue
            except OSError as error:  # the connection
                lost(error, due[index:])
                break
            if refused:  # accepted for the others: retried for these only
                error = "refused " + "; ".join(
                    f"{r}: {code} {text.decode(errors='replace')}"
                    for r, (code, text) in refused.items()
                )
                _record_failure(path, f"SMTP {config.host}:{config.port}: {error}", now, refused)
                report.failed[path.stem] = f"SMTP {config.host}:{config.port}: {error}"
                continue
            path.replace(outbox / "sent" / path.name)
            path.with_name(f"{path.stem}.retry.json").unlink(missing_ok=True)
            report.sent.append(path.stem)
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()
    return report
