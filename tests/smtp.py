"""A real SMTP server on 127.0.0.1 for tests (aiosmtpd), keeping every message it receives.

In a test, take the ``smtp_server`` fixture (tests/conftest.py), point Strongroom at its
``url`` and read what arrived with ``wait_for``::

    def test_mails_a_link(smtp_server: SmtpServer) -> None:
        settings = load_settings(environ={"STRONGROOM_SMTP_URL": smtp_server.url})
        ...                                    # whatever sends the mail
        [message] = smtp_server.wait_for(1)    # waits up to 5 s, else fails saying what came
        assert message["To"] == "someone@example.org"
        assert "https://" in message.get_content()

Messages are ``EmailMessage`` objects parsed with ``email.policy.default``: headers come back
decoded (``message["Subject"]`` is the text as composed), ``get_content()`` gives the body as
text. ``envelopes`` says, message by message, what the SMTP conversation carried (envelope
addresses, whether it was over TLS, who logged in).

For a server that wants a password, refuses recipients or speaks TLS, use ``running`` with
its keyword arguments, and ``self_signed_tls()`` for a certificate a client can be told to trust.
"""

from __future__ import annotations

import datetime as dt
import email.policy
import ipaddress
import ssl
import tempfile
import threading
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.functional.server import free_port


@dataclass(frozen=True)
class Envelope:
    """What the SMTP conversation of one message carried besides the message itself."""

    mail_from: str
    rcpt_tos: list[str]
    tls: bool
    login: str | None


@dataclass
class SmtpServer:
    """A running server: where it listens and what it has received so far, in order."""

    url: str
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[Envelope] = field(default_factory=list)
    _arrived: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[EmailMessage]:
        """The first ``count`` messages once that many have arrived; fails the test, saying how
        many did arrive, when they have not within ``timeout`` seconds."""
        with self._arrived:
            if not self._arrived.wait_for(lambda: len(self.messages) >= count, timeout):
                raise AssertionError(f"expected {count} messages within {timeout} s, "
                                     f"got {len(self.messages)}")
            return self.messages[:count]

    def keep(self, message: EmailMessage, envelope: Envelope) -> None:
        """Record a message that arrived (the server's handler calls this)."""
        with self._arrived:
            self.messages.append(message)
            self.envelopes.append(envelope)
            self._arrived.notify_all()


class _Handler:
    """aiosmtpd's hooks: refuse the recipients it is told to, keep each message."""

    def __init__(self, server: SmtpServer, refuse: Collection[str]) -> None:
        self.server = server
        self.refuse = refuse

    async def handle_RCPT(  # noqa: N802 - aiosmtpd names its hooks so
            self, server: Any, session: Any, envelope: Any, address: str,
            rcpt_options: list[str]) -> str:
        if address in self.refuse:
            return "550 5.1.1 no such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(  # noqa: N802 - aiosmtpd names its hooks so
            self, server: Any, session: Any, envelope: Any) -> str:
        # Lines end as they would in a mailbox (SMTP carries CRLF), so get_content() is the
        # text as composed.
        raw = envelope.content.replace(b"\r\n", b"\n")
        message = BytesParser(policy=email.policy.default).parsebytes(raw)
        login = session.auth_data if session.authenticated else None
        self.server.keep(message, Envelope(mail_from=envelope.mail_from,
                                           rcpt_tos=list(envelope.rcpt_tos),
                                           tls=_over_tls(server), login=login))
        return "250 OK"


def _over_tls(server: Any) -> bool:
    """Whether aiosmtpd's connection is encrypted now (after STARTTLS, or from the start)."""
    return server.transport.get_extra_info("ssl_object") is not None


def _authenticator(users: Mapping[str, str]) -> Any:
    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str,
                     auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        # handled=False: aiosmtpd itself answers a refusal (535).
        return AuthResult(success=users.get(login) == password, handled=False, auth_data=login)
    return authenticate


@contextmanager
def running(*, users: Mapping[str, str] | None = None, refuse: Collection[str] = (),
            starttls: ssl.SSLContext | None = None,
            implicit_tls: ssl.SSLContext | None = None) -> Iterator[SmtpServer]:
    """An SMTP server on 127.0.0.1 and a free port, stopped on leaving.

    ``users`` (name → password): offer AUTH PLAIN and LOGIN, even without TLS, and accept only
    these; ``refuse``: recipient addresses answered ``550``; ``starttls``: the server's TLS
    context, offered through STARTTLS (``url`` is ``smtp+starttls://``); ``implicit_tls``: TLS
    from the first byte (``url`` is ``smtps://``). ``url`` never holds credentials.
    """
    port = free_port()
    scheme = "smtps" if implicit_tls else "smtp+starttls" if starttls else "smtp"
    server = SmtpServer(url=f"{scheme}://127.0.0.1:{port}")
    options: dict[str, Any] = {}
    if users is not None:
        options.update(authenticator=_authenticator(users), auth_require_tls=False)
    if starttls is not None:
        options.update(tls_context=starttls)
    controller = Controller(_Handler(server, refuse), hostname="127.0.0.1", port=port,
                            server_hostname="localhost", ssl_context=implicit_tls, **options)
    controller.start()
    try:
        yield server
    finally:
        controller.stop()


@dataclass(frozen=True)
class Tls:
    """A server's TLS context for 127.0.0.1 and a client context that trusts it alone."""

    server: ssl.SSLContext
    client: ssl.SSLContext


def self_signed_tls() -> Tls:
    """A fresh self-signed certificate for ``127.0.0.1`` and ``localhost``, valid for a day."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "strongroom test SMTP")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name)
        .public_key(key.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = certificate.public_bytes(serialization.Encoding.PEM)
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    with tempfile.TemporaryDirectory() as directory:  # load_cert_chain reads only files
        (Path(directory) / "cert.pem").write_bytes(pem)
        (Path(directory) / "key.pem").write_bytes(key_pem)
        server.load_cert_chain(Path(directory) / "cert.pem", Path(directory) / "key.pem")
    return Tls(server=server, client=ssl.create_default_context(cadata=pem.decode()))
