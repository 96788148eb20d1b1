"""Fixtures (registered in tests/conftest.py): a real SMTP server on localhost (aiosmtpd)
for the delivery tests, with a self-signed certificate for STARTTLS and implicit TLS, and
one login (kvarter / hemmelig)."""

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
import threading
from email import policy
from email.parser import BytesParser

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

USER, PASSWORD = "kvarter", "hemmelig"


class Inbox:
    """What the server accepted: (envelope recipients, parsed message). `refuse` maps a
    recipient to the server's answer (such as "550 5.1.1 no such user"); `refuse_data`
    and `refuse_sender`, if set, are the answers to every message's content and sender;
    `delay` (s) holds each message before the answer (a slow server)."""

    def __init__(self):
        self.received = []
        self.refuse: dict[str, str] = {}
        self.refuse_data: str | None = None
        self.refuse_sender: str | None = None
        self.delay = 0.0
        self.receiving = threading.Event()  # set when a message's data starts to arrive

    async def handle_MAIL(self, server, session, envelope, address, mail_options):
        if self.refuse_sender:
            return self.refuse_sender
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.receiving.set()
        await asyncio.sleep(self.delay)
        if self.refuse_data:
            return self.refuse_data
        message = BytesParser(policy=policy.default).parsebytes(envelope.original_content)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1: (cert file, key file)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    folder = tmp_path_factory.mktemp("tls")
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class SmtpServer:
    """Start and stop an aiosmtpd server on a fixed port (stop then start again: the same
    address, as a server that was down and comes back)."""

    def __init__(self, certificate, mode: str):
        self.port = free_port()
        self.mode = mode  # plain | starttls | tls
        self.inbox = Inbox()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*certificate)
        self.context = context
        self.controller = None

    def start(self):
        options = {}
        if self.mode == "starttls":
            options = dict(
                tls_context=self.context,
                require_starttls=True,
                authenticator=authenticate,
                auth_required=True,
                auth_require_tls=True,
            )
        elif self.mode == "tls":
            options = dict(
                ssl_context=self.context,
                authenticator=authenticate,
                auth_required=True,
                auth_require_tls=False,  # the whole connection is TLS already
            )
        self.controller = Controller(
            self.inbox, hostname="127.0.0.1", port=self.port, server_hostname="127.0.0.1",
            **options,
        )  # fmt: skip
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp_server(certificate):
    """A factory: smtp_server(mode, started=True)."""
    servers = []

    def make(mode="plain", started=True):
        server = SmtpServer(certificate, mode)
        servers.append(server)
        return server.start() if started else server

    yield make
    for server in servers:
        server.stop()
