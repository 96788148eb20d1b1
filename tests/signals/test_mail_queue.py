import datetime as dt
from email.message import EmailMessage

import pytest

from signals.mail_queue import MailConfigError, SmtpConfig, deliver, enqueue, queued, requeue
from tests.smtp_server import PASSWORD, USER

NOW = dt.datetime(2026, 1, 10, 6, 0, tzinfo=dt.UTC)


def message(to: str, key: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = "kvarterprofil@kommune.example"
    msg["To"] = to
    msg["Subject"] = f"Digest {key}"
    msg["Message-ID"] = f"<{key}@kvarterprofil>"
    msg.set_content("Hej")
    return msg


def config(server, security="none", password=None, ca=None):
    user = USER if password else None
    return SmtpConfig("127.0.0.1", server.port, security, user, password, ca)


def test_no_server_configured_keeps_everything_in_the_outbox(tmp_path):
    assert enqueue(tmp_path, "d1", message("a@k.example", "d1"))
    assert not enqueue(tmp_path, "d1", message("a@k.example", "d1"))  # queued already
    report = deliver(tmp_path, None, NOW)
    assert report.queued == ["d1"] and not report.sent
    assert [p.name for p in queued(tmp_path)] == ["d1.eml"]


def test_starttls_and_login(tmp_path, smtp_server, certificate):
    server = smtp_server("starttls")
    enqueue(tmp_path, "d1", message("a@k.example", "d1"))
    tls = config(server, "starttls", PASSWORD, str(certificate[0]))
    report = deliver(tmp_path, tls, NOW)
    assert report.sent == ["d1"] and not report.failed
    [(rcpt, received)] = server.inbox.received
    assert rcpt == ["a@k.example"] and received["Message-ID"] == "<d1@kvarterprofil>"
    assert not queued(tmp_path) and (tmp_path / "sent" / "d1.eml").exists()
    # Sent is sent: the same key is not queued again, nothing goes twice.
    assert not enqueue(tmp_path, "d1", message("a@k.example", "d1"))
    assert (
        deliver(tmp_path, config(server, "starttls", PASSWORD, str(certificate[0])), NOW).sent == []
    )
    assert len(server.inbox.received) == 1


# aiosmtpd cannot tell that an implicit-TLS connection is encrypted.
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls(tmp_path, smtp_server, certificate):
    server = smtp_server("tls")
    enqueue(tmp_path, "d1", message("a@k.example", "d1"))
    report = deliver(tmp_path, config(server, "tls", PASSWORD, str(certificate[0])), NOW)
    assert report.sent == ["d1"] and len(server.inbox.received) == 1


def test_a_wrong_password_is_named_and_the_message_kept(tmp_path, smtp_server, certificate):
    server = smtp_server("starttls")
    enqueue(tmp_path, "d1", message("a@k.example", "d1"))
    report = deliver(tmp_path, config(server, "starttls", "forkert", str(certificate[0])), NOW)
    assert report.failed["d1"].startswith(
        f"login afvist: SMTP-serveren 127.0.0.1:{server.port} afviste login for 'kvarter': "
        "tjek KVARTER_SMTP_USER og KVARTER_SMTP_PASSWORD"
    )
    assert [p.name for p in queued(tmp_path)] == ["d1.eml"] and not server.inbox.received


def test_server_down_then_up_loses_nothing_and_doubles_nothing(tmp_path, smtp_server):
    server = smtp_server("plain", started=False)
    for key in ("d1", "d2"):
        enqueue(tmp_path, key, message(f"{key}@k.example", key))
    down = deliver(tmp_path, config(server), NOW)
    assert sorted(down.failed) == ["d1", "d2"] and "ConnectionRefusedError" in down.failed["d1"]
    # The next attempt waits 15 minutes, then 30, ...
    assert deliver(tmp_path, config(server), NOW + dt.timedelta(minutes=14)).waiting == [
        "d1",
        "d2",
    ]
    assert deliver(tmp_path, config(server), NOW + dt.timedelta(minutes=15)).failed
    assert deliver(tmp_path, config(server), NOW + dt.timedelta(minutes=44)).waiting
    server.start()
    up = deliver(tmp_path, config(server), NOW + dt.timedelta(minutes=45))
    assert up.sent == ["d1", "d2"]
    assert deliver(tmp_path, config(server), NOW + dt.timedelta(days=40)).sent == []
    assert sorted(r for r, _ in server.inbox.received) == [["d1@k.example"], ["d2@k.example"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sent"]  # no retry state left


def test_resend_puts_a_sent_message_back_in_the_queue(tmp_path, smtp_server):
    server = smtp_server("plain")
    enqueue(tmp_path, "d1", message("a@k.example", "d1"))
    deliver(tmp_path, config(server), NOW)
    requeue(tmp_path, "d1")
    assert deliver(tmp_path, config(server), NOW).sent == ["d1"]
    assert len(server.inbox.received) == 2
    with pytest.raises(KeyError, match="ingen sendt besked med id d9"):
        requeue(tmp_path, "d9")


def test_smtp_configuration_from_the_environment():
    assert SmtpConfig.from_env({}) is None
    env = {"KVARTER_SMTP_HOST": "smtp.k.example", "KVARTER_SMTP_USER": "u",
           "KVARTER_SMTP_PASSWORD": "p"}  # fmt: skip
    assert SmtpConfig.from_env(env) == SmtpConfig("smtp.k.example", 587, "starttls", "u", "p", None)
    assert SmtpConfig.from_env({**env, "KVARTER_SMTP_SECURITY": "tls"}).port == 465
    with pytest.raises(MailConfigError, match="login uden TLS afvises"):
        SmtpConfig.from_env({**env, "KVARTER_SMTP_SECURITY": "none"})
    with pytest.raises(MailConfigError, match="brug en af starttls, tls, none"):
        SmtpConfig.from_env({**env, "KVARTER_SMTP_SECURITY": "ssl"})
