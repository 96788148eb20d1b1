import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor
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
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "sent"]  # no retry state


def test_resend_puts_a_sent_message_back_in_the_queue(tmp_path, smtp_server):
    server = smtp_server("plain")
    enqueue(tmp_path, "d1", message("a@k.example", "d1"))
    deliver(tmp_path, config(server), NOW)
    requeue(tmp_path, "d1")
    assert deliver(tmp_path, config(server), NOW).sent == ["d1"]
    assert len(server.inbox.received) == 2
    with pytest.raises(KeyError, match="ingen besked med id d9"):
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


def test_a_refused_message_does_not_hold_back_the_others(tmp_path, smtp_server):
    server = smtp_server("plain")
    server.inbox.refuse["busy@k.example"] = "450 4.2.1 try again later"
    for key, to in (("d1", "a@k.example"), ("d2", "busy@k.example"), ("d3", "c@k.example")):
        enqueue(tmp_path, key, message(to, key))
    report = deliver(tmp_path, config(server), NOW)
    assert report.sent == ["d1", "d3"] and list(report.failed) == ["d2"]
    assert report.failed["d2"] == (
        f"SMTP 127.0.0.1:{server.port}: refused busy@k.example: 450 4.2.1 try again later"
    )
    assert [p.name for p in queued(tmp_path)] == ["d2.eml"]
    # Still refused after the backoff: d2 only, and nothing else again.
    later = deliver(tmp_path, config(server), NOW + dt.timedelta(minutes=15))
    assert (later.sent, list(later.failed)) == ([], ["d2"])
    assert [r for r, _ in server.inbox.received] == [["a@k.example"], ["c@k.example"]]


def test_a_message_refused_for_good_is_set_aside_not_tried_again(tmp_path, smtp_server):
    server = smtp_server("plain")
    server.inbox.refuse["gone@k.example"] = "550 5.1.1 no such user"
    for key, to in (("d1", "gone@k.example"), ("d2", "c@k.example")):
        enqueue(tmp_path, key, message(to, key))
    report = deliver(tmp_path, config(server), NOW)
    assert (report.sent, report.failed) == (["d2"], {})
    assert report.rejected == {
        "d1": f"SMTP 127.0.0.1:{server.port}: refused gone@k.example: 550 5.1.1 no such user"
    }
    assert queued(tmp_path) == [] and not (tmp_path / "d1.retry.json").exists()
    record = json.loads((tmp_path / "failed" / "d1.json").read_text())
    assert record == {"error": report.rejected["d1"], "at": NOW.isoformat(),
                      "recipients": ["gone@k.example"]}  # fmt: skip
    assert (tmp_path / "failed" / "d1.eml").read_bytes().startswith(b"From: kvarterprofil@")
    assert not enqueue(tmp_path, "d1", message("gone@k.example", "d1"))  # a re-run: not again
    assert deliver(tmp_path, config(server), NOW + dt.timedelta(days=2)).rejected == {}
    # Resent once the cause is fixed; from failed/ first, though it was never sent.
    del server.inbox.refuse["gone@k.example"]
    requeue(tmp_path, "d1")
    assert deliver(tmp_path, config(server), NOW).sent == ["d1"]
    assert [r for r, _ in server.inbox.received] == [["c@k.example"], ["gone@k.example"]]
    assert sorted(p.name for p in (tmp_path / "failed").iterdir()) == []


def test_refused_for_good_for_one_recipient_for_now_for_another(tmp_path, smtp_server):
    server = smtp_server("plain")
    server.inbox.refuse.update({"gone@k.example": "550 5.1.1 no such user",
                                "full@k.example": "452 4.2.2 mailbox full"})  # fmt: skip
    enqueue(tmp_path, "d1", message("a@k.example, gone@k.example, full@k.example", "d1"))
    first = deliver(tmp_path, config(server), NOW)
    assert first.sent == [] and list(first.failed) == list(first.rejected) == ["d1"]
    assert first.failed["d1"].endswith("refused full@k.example: 452 4.2.2 mailbox full")
    assert first.rejected["d1"].endswith("refused gone@k.example: 550 5.1.1 no such user")
    # The full mailbox is tried again, the unknown user is not; then the message is sent.
    del server.inbox.refuse["full@k.example"]
    second = deliver(tmp_path, config(server), NOW + dt.timedelta(minutes=15))
    assert (second.sent, second.failed, second.rejected) == (["d1"], {}, {})
    assert [r for r, _ in server.inbox.received] == [["a@k.example"], ["full@k.example"]]
    assert json.loads((tmp_path / "failed" / "d1.json").read_text())["recipients"] == [
        "gone@k.example"
    ]
    # Resent from failed/ to the refused recipient only, when the address works again.
    del server.inbox.refuse["gone@k.example"]
    requeue(tmp_path, "d1")
    assert deliver(tmp_path, config(server), NOW).sent == ["d1"]
    assert [r for r, _ in server.inbox.received][-1] == ["gone@k.example"]


def test_a_421_among_the_recipients_keeps_the_message_for_all_of_them(tmp_path, smtp_server):
    # smtplib closes the connection at a 421 and names only the recipients refused so far:
    # the message was not sent to anyone.
    server = smtp_server("plain")
    server.inbox.refuse["b@k.example"] = "421 4.3.2 shutting down"
    enqueue(tmp_path, "d1", message("a@k.example, b@k.example, c@k.example", "d1"))
    first = deliver(tmp_path, config(server), NOW)
    assert (first.sent, list(first.failed), first.rejected) == ([], ["d1"], {})
    assert "recipients" not in json.loads((tmp_path / "d1.retry.json").read_text())
    del server.inbox.refuse["b@k.example"]
    assert deliver(tmp_path, config(server), NOW + dt.timedelta(minutes=15)).sent == ["d1"]
    assert [r for r, _ in server.inbox.received] == [["a@k.example", "b@k.example", "c@k.example"]]


def test_refused_for_good_after_the_others_took_it_is_filed_as_sent(tmp_path, smtp_server):
    server = smtp_server("plain")
    server.inbox.refuse["b@k.example"] = "450 4.2.1 try later"
    enqueue(tmp_path, "d1", message("a@k.example, b@k.example", "d1"))
    deliver(tmp_path, config(server), NOW)  # a@ has it
    server.inbox.refuse["b@k.example"] = "550 5.1.1 no such user"
    later = deliver(tmp_path, config(server), NOW + dt.timedelta(minutes=15))
    assert (later.sent, list(later.rejected)) == (["d1"], ["d1"])
    assert (tmp_path / "sent" / "d1.eml").exists() and queued(tmp_path) == []


def test_our_sender_refused_keeps_every_message_queued(tmp_path, smtp_server):
    # A configuration error (the sender address, relaying): nothing is set aside.
    server = smtp_server("plain")
    server.inbox.refuse_sender = "553 5.7.1 sender not allowed"
    for key in ("d1", "d2"):
        enqueue(tmp_path, key, message(f"{key}@k.example", key))
    report = deliver(tmp_path, config(server), NOW)
    assert (report.sent, sorted(report.failed), report.rejected) == ([], ["d1", "d2"], {})
    assert "553" in report.failed["d1"] and len(queued(tmp_path)) == 2


def test_resend_of_a_message_queued_for_some_and_set_aside_for_others(tmp_path, smtp_server):
    server = smtp_server("plain")
    server.inbox.refuse.update({"gone@k.example": "550 5.1.1 no such user",
                                "full@k.example": "452 4.2.2 mailbox full"})  # fmt: skip
    enqueue(tmp_path, "d1", message("a@k.example, gone@k.example, full@k.example", "d1"))
    deliver(tmp_path, config(server), NOW)
    server.inbox.refuse.clear()
    requeue(tmp_path, "d1")  # before its backoff: due now, for both it did not reach
    assert deliver(tmp_path, config(server), NOW).sent == ["d1"]
    assert [r for r, _ in server.inbox.received] == [
        ["a@k.example"], ["full@k.example", "gone@k.example"],
    ]  # fmt: skip
    assert list((tmp_path / "failed").iterdir()) == []


def test_content_refused_for_good_is_set_aside_for_every_recipient(tmp_path, smtp_server):
    server = smtp_server("plain")
    server.inbox.refuse_data = "554 5.7.1 message rejected as spam"
    enqueue(tmp_path, "d1", message("a@k.example, b@k.example", "d1"))
    report = deliver(tmp_path, config(server), NOW)
    assert report.sent == [] and list(report.rejected) == ["d1"]
    assert "554" in report.rejected["d1"] and queued(tmp_path) == []
    assert json.loads((tmp_path / "failed" / "d1.json").read_text())["recipients"] == [
        "a@k.example", "b@k.example",
    ]  # fmt: skip


def test_a_recipient_refused_for_now_gets_the_message_later_the_others_once(tmp_path, smtp_server):
    server = smtp_server("plain")
    server.inbox.refuse["b@k.example"] = "451 4.2.2 mailbox full"
    enqueue(tmp_path, "d1", message("a@k.example, b@k.example", "d1"))
    first = deliver(tmp_path, config(server), NOW)
    assert first.sent == [] and "b@k.example: 451 4.2.2 mailbox full" in first.failed["d1"]
    assert [r for r, _ in server.inbox.received] == [["a@k.example"]]
    del server.inbox.refuse["b@k.example"]
    assert deliver(tmp_path, config(server), NOW + dt.timedelta(minutes=15)).sent == ["d1"]
    assert [r for r, _ in server.inbox.received] == [["a@k.example"], ["b@k.example"]]
    assert sorted(p.name for p in tmp_path.iterdir()) == [".lock", "sent"]


def test_two_deliveries_at_once_send_each_message_once(tmp_path, smtp_server):
    server = smtp_server("plain")
    server.inbox.delay = 0.3
    for key in ("d1", "d2", "d3"):
        enqueue(tmp_path, key, message(f"{key}@k.example", key))
    with ThreadPoolExecutor(2) as pool:
        reports = list(pool.map(lambda _: deliver(tmp_path, config(server), NOW), range(2)))
    assert sorted(key for r in reports for key in r.sent) == ["d1", "d2", "d3"]
    assert not any(r.failed for r in reports)
    assert sorted(m["Message-ID"] for _, m in server.inbox.received) == [
        "<d1@kvarterprofil>", "<d2@kvarterprofil>", "<d3@kvarterprofil>",
    ]  # fmt: skip


def test_a_ca_file_that_is_not_there_is_a_configuration_error(tmp_path):
    env = {"KVARTER_SMTP_HOST": "smtp.k.example", "KVARTER_SMTP_CA_FILE": str(tmp_path / "ca.pem")}
    with pytest.raises(MailConfigError, match=f"KVARTER_SMTP_CA_FILE={tmp_path}/ca.pem: filen"):
        SmtpConfig.from_env(env)
