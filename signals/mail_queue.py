"""The outbox as a durable mail queue, and SMTP delivery from it (at least once).

    outbox/<key>.eml         queued (written whole: temp file, then rename)
    outbox/<key>.retry.json  attempts so far, the last error, when to try next, and the
                             recipients still to reach when the server refused only some
    outbox/sent/<key>.eml    delivered
    outbox/failed/<key>.eml  refused for good (a 5xx answer), with <key>.json: the error,
                             when, and the recipients it did not reach

A key is enqueued once: queued, sent or set aside, the same key is not written again, so
re-running a month queues nothing twice. Delivery moves a message to sent/ only after the
server accepted it for every recipient it has not refused for good; a temporary failure
(a 4xx answer, a server that is down) keeps it queued with a backoff, a permanent one
(5xx, RFC 5321 4.2.1: the same request will fail again) sets it aside for its recipients
so refused, to be sent again by hand once the cause is fixed. A refusal (the server's
answer to one message) costs that message only, the next ones are still sent; a lost
connection stops the round. One delivery at a time per outbox (a lock
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import SMTP, default
from email.utils import getaddresses
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
    rejected: dict[str, str] = field(default_factory=dict)  # key -> error: set aside


def _failed(outbox: Path, key: str) -> Path:
    return outbox / "failed" / f"{key}.eml"


def enqueue(outbox: Path, key: str, message: EmailMessage) -> bool:
    """Queue a message under its key; False if the key is queued or sent already."""
    (outbox / "sent").mkdir(parents=True, exist_ok=True)
    path = outbox / f"{key}.eml"
    if path.exists() or (outbox / "sent" / path.name).exists() or _failed(outbox, key).exists():
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
    """Make a message due now (`kvarter alerts resend`): a queued one without waiting for
    its backoff, with the recipients it was set aside for added; one set aside, for the
    recipients it did not reach; else a sent one, for all of its recipients. Under the
    outbox's lock, as a delivery is."""
    path, failed = outbox / f"{key}.eml", _failed(outbox, key)
    retry = path.with_name(f"{key}.retry.json")
    with _locked(outbox):
        queued_for = _retry_state(path) if path.exists() else None
        set_aside = []
        if failed.exists():
            record = failed.with_suffix(".json")
            set_aside = json.loads(record.read_text())["recipients"] if record.exists() else []
            if path.exists():
                failed.unlink()
            else:
                failed.replace(path)
            record.unlink(missing_ok=True)
        if path.exists():
            if queued_for is not None and not queued_for.get("recipients"):
                retry.unlink(missing_ok=True)  # queued for every recipient already
            else:
                recipients = sorted({*(queued_for or {}).get("recipients", []), *set_aside})
                accepted = {"accepted": True} if (queued_for or {}).get("accepted") else {}
                retry.write_text(
                    json.dumps({"attempts": 0, "recipients": recipients, **accepted})
                )
        elif (sent := outbox / "sent" / path.name).exists():
            sent.replace(path)
            retry.unlink(missing_ok=True)
        else:
            raise KeyError(f"ingen besked med id {key} i {outbox}")


def _set_aside(path: Path, error: str, now: dt.datetime, recipients) -> None:
    """Keep a copy in failed/ for the recipients refused for good (added to those of an
    earlier refusal of the same message)."""
    failed = _failed(path.parent, path.stem)
    failed.parent.mkdir(exist_ok=True)
    state = failed.with_suffix(".json")
    before = json.loads(state.read_text())["recipients"] if state.exists() else []
    record = {"error": error, "at": now.isoformat(), "recipients": sorted({*before, *recipients})}
    state.write_text(json.dumps(record))
    failed.write_bytes(path.read_bytes())


def _retry_state(path: Path) -> dict:
    state = path.with_name(f"{path.stem}.retry.json")
    return json.loads(state.read_text()) if state.exists() else {"attempts": 0}


def _record_failure(
    path: Path, error: str, now: dt.datetime, recipients=None, accepted=False
) -> None:
    """Count the attempt and set the next; `recipients`: those still to reach, else the
    last attempt's; `accepted`: the server took it for others (kept for later attempts)."""
    state = _retry_state(path)
    attempts = state["attempts"] + 1
    wait = min(FIRST_RETRY * 2 ** (attempts - 1), MAX_RETRY)
    retry = {"attempts": attempts, "last_error": error, "next_attempt": (now + wait).isoformat()}
    if recipients or state.get("recipients"):
        retry["recipients"] = sorted(recipients or state["recipients"])
    if accepted or state.get("accepted"):
        retry["accepted"] = True
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


def _permanent(code: int) -> bool:
    return 500 <= code < 600


def _describe(error: Exception, config: SmtpConfig) -> str:
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"login afvist: {error.smtp_error}"
    return f"SMTP {config.host}:{config.port} ({config.security}): {type(error).__name__}: {error}"


def deliver(outbox: Path, config: SmtpConfig | None, now: dt.datetime | None = None):
    """Send every queued message whose backoff has passed, over one connection, while
    holding the outbox's lock (another delivery waits for it)."""
    if config is None:  # nothing sent: no lock to wait for
        return _deliver(outbox, None, now)
    with _locked(outbox):
        return _deliver(outbox, config, now or dt.datetime.now(dt.UTC))


@contextmanager
def _locked(outbox: Path) -> Iterator[None]:
    """The outbox's lock: one delivery or resend at a time."""
    outbox.mkdir(parents=True, exist_ok=True)
    with (outbox / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


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
                refused, anyone = server.send_message(message, to_addrs=recipients), True
            # smtplib's errors are OSErrors: the server's answers first.
            except (smtplib.SMTPServerDisconnected, smtplib.SMTPSenderRefused) as error:
                # Lost, or our sender address refused (configuration: every message would
                # be): the round ends, all kept queued.
                lost(error, due[index:])
                break
            except smtplib.SMTPRecipientsRefused as error:  # every recipient so far refused
                if server.sock is None:  # a 421 closed the connection before the rest
                    lost(error, due[index:])
                    break
                refused, anyone = error.recipients, False
            except smtplib.SMTPResponseException as error:  # the content refused
                everyone = recipients or _addresses(message)
                refused = {r: (error.smtp_code, error.smtp_error) for r in everyone}
                anyone = False
            except smtplib.SMTPException as error:  # refused otherwise: this message only
                _record_failure(path, _describe(error, config), now)
                report.failed[path.stem] = _describe(error, config)
                refused = None
            except OSError as error:  # the connection
                lost(error, due[index:])
                break
            if refused is not None:
                _settle(path, refused, anyone, f"SMTP {config.host}:{config.port}", now, report)
            if server.sock is None:  # a 421 closes the connection
                lost(smtplib.SMTPServerDisconnected("the server closed the connection"),
                     due[index + 1 :])  # fmt: skip
                break
    finally:
        try:
            server.quit()
        except (OSError, smtplib.SMTPException):
            server.close()
    return report


def _addresses(message: EmailMessage) -> list[str]:
    """The envelope recipients smtplib derives from the headers (To, Cc, Bcc)."""
    fields = [str(message[h]) for h in ("To", "Cc", "Bcc") if message[h] is not None]
    return [address for _, address in getaddresses(fields)]


def _settle(path: Path, refused: dict, anyone: bool, server: str, now, report) -> None:
    """After the server's answer: `refused` maps recipients to (code, text), `anyone`
    says whether it accepted the message for the others. Those refused for now are tried
    again; those refused for good are set aside; once no one is left to try again, the
    message is filed as sent if anyone took it, now or in an earlier attempt."""

    def said(which):
        return f"{server}: refused " + "; ".join(
            f"{r}: {code} {text.decode(errors='replace') if isinstance(text, bytes) else text}"
            for r, (code, text) in sorted(which.items())
        )

    for_now = {r: answer for r, answer in refused.items() if not _permanent(answer[0])}
    for_good = {r: answer for r, answer in refused.items() if _permanent(answer[0])}
    if for_good:
        _set_aside(path, said(for_good), now, for_good)
        report.rejected[path.stem] = said(for_good)
    if for_now:
        _record_failure(path, said(for_now), now, for_now, accepted=anyone)
        report.failed[path.stem] = said(for_now)
        return
    if anyone or _retry_state(path).get("accepted"):  # by now, or by an earlier attempt
        path.replace(path.parent / "sent" / path.name)
        report.sent.append(path.stem)
    else:
        path.unlink()
    path.with_name(f"{path.stem}.retry.json").unlink(missing_ok=True)
