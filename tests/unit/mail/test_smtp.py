"""SmtpSender against real servers on loopback: aiosmtpd with passwords, refusals and TLS,
a closed port, and a listener that never answers."""

from __future__ import annotations

import re
import socket
import time
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from strongroom.errors import InvalidInput, Unavailable
from strongroom.mail import SmtpSender, compose
from tests.functional.server import free_port
from tests.smtp import Tls, running, self_signed_tls


def _message(to: str = "zoe@example.org") -> EmailMessage:
    return compose(sender="strongroom@example.org", to=to, subject="Reset your password",
                   text="https://pypi.example.org/reset/abc\n")


def _with_credentials(url: str, user: str, password: str) -> str:
    scheme, _, rest = url.partition("://")
    return f"{scheme}://{user}:{password}@{rest}"


@pytest.fixture(scope="module")
def tls() -> Tls:
    return self_signed_tls()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port whose connections the kernel accepts but nobody ever answers."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        yield listener.getsockname()[1]


def test_logs_in_with_percent_decoded_credentials() -> None:
    with running(users={"mail@user": "p@ss:word/1%"}) as server:
        url = _with_credentials(server.url, "mail%40user", "p%40ss%3Aword%2F1%25")
        SmtpSender(url, timeout=5).send(_message())
        [_] = server.wait_for(1)
        assert server.envelopes[0].login == "mail@user"
        assert server.envelopes[0].rcpt_tos == ["zoe@example.org"]
        assert server.envelopes[0].mail_from == "strongroom@example.org"


def test_a_wrong_password_is_unavailable_and_never_shown() -> None:
    with running(users={"strongroom": "right"}) as server:
        sender = SmtpSender(_with_credentials(server.url, "strongroom", "wrong-secret"),
                            timeout=5)
        with pytest.raises(Unavailable, match="refused the user name or password") as caught:
            sender.send(_message())
        assert "wrong-secret" not in caught.value.message
        assert server.messages == []


def test_a_refused_recipient_is_unavailable() -> None:
    with running(refuse={"gone@example.org"}) as server:
        with pytest.raises(Unavailable, match=r"refused the recipient gone@example\.org \(550"):
            SmtpSender(server.url, timeout=5).send(_message(to="gone@example.org"))
        assert server.messages == []


def test_a_server_that_is_down_is_unavailable_at_once() -> None:
    port = free_port()  # bound and released: nothing listens there
    started = time.monotonic()
    with pytest.raises(Unavailable, match=rf"127\.0\.0\.1:{port}: the connection was refused"):
        SmtpSender(f"smtp://127.0.0.1:{port}", timeout=5).send(_message())
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("scheme", ["smtp", "smtp+starttls", "smtps"])
def test_a_server_that_never_answers_is_unavailable_within_the_timeout(
        silent_port: int, scheme: str) -> None:
    started = time.monotonic()
    with pytest.raises(Unavailable, match=r"did not answer within 0\.5 seconds"):
        SmtpSender(f"{scheme}://127.0.0.1:{silent_port}", timeout=0.5).send(_message())
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(("scheme", "port"), [("smtp", 25), ("smtp+starttls", 587),
                                              ("smtps", 465)])
def test_each_scheme_has_its_default_port(scheme: str, port: int) -> None:
    # Nothing listens on these ports here: the refusal names the port that was tried.
    with pytest.raises(Unavailable, match=re.escape(f"{scheme}://127.0.0.1:{port}: ")):
        SmtpSender(f"{scheme}://127.0.0.1", timeout=2).send(_message())


def test_starttls_with_a_trusted_certificate(tls: Tls) -> None:
    with running(starttls=tls.server, users={"strongroom": "secret"}) as server:
        url = _with_credentials(server.url, "strongroom", "secret")
        SmtpSender(url, timeout=5, ssl_context=tls.client).send(_message())
        [message] = server.wait_for(1)
        assert message["Subject"] == "Reset your password"
        assert server.envelopes[0].tls
        assert server.envelopes[0].login == "strongroom"


def test_starttls_verifies_the_certificate_by_default(tls: Tls) -> None:
    with running(starttls=tls.server, users={"strongroom": "secret"}) as server:
        url = _with_credentials(server.url, "strongroom", "secret")
        with pytest.raises(Unavailable, match="TLS certificate is not trusted"):
            SmtpSender(url, timeout=5).send(_message())
        assert server.messages == []


def test_starttls_is_required_when_asked_for() -> None:
    with running(users={"strongroom": "secret"}) as server:
        url = _with_credentials(server.url.replace("smtp://", "smtp+starttls://"),
                                "strongroom", "secret")
        with pytest.raises(Unavailable, match="does not offer STARTTLS"):
            SmtpSender(url, timeout=5).send(_message())
        assert server.messages == []


def test_plain_smtp_stays_plain_when_the_server_offers_starttls(tls: Tls) -> None:
    with running(starttls=tls.server) as server:
        url = server.url.replace("smtp+starttls://", "smtp://")
        SmtpSender(url, timeout=5, ssl_context=tls.client).send(_message())
        server.wait_for(1)
        assert not server.envelopes[0].tls


def test_implicit_tls(tls: Tls) -> None:
    with running(implicit_tls=tls.server) as server:
        assert server.url.startswith("smtps://")
        SmtpSender(server.url, timeout=5, ssl_context=tls.client).send(_message())
        server.wait_for(1)
        assert server.envelopes[0].tls


@pytest.mark.parametrize("url", [
    "http://mail.example.org", "mail.example.org:25", "smtp://", "smtp://:25",
    "smtp://mail.example.org:99999", "smtp://mail.example.org:twenty",
    "smtp://mail.example.org/inbox", "smtp://mail.example.org?tls=1",
    "smtp://user@mail.example.org", "smtp://user:XYZZY@mail.example.org/x#y",
    "smtp://user:XY%C3%A9ZZY@mail.example.org", "user:XYZZY@mail.example.org",
    "smtp://user:XY/ZZY@mail.example.org", "smtp://user:XYZZY@mail.example.org:0x19",
    "smtp://user:XY:ZZY@[mail.example.org",
])
def test_a_malformed_url_names_the_setting_not_the_password(url: str) -> None:
    with pytest.raises(InvalidInput, match=r"setting smtp_url \(STRONGROOM_SMTP_URL\)") as caught:
        SmtpSender(url, timeout=5)
    assert "XY" not in caught.value.message
    assert "ZZY" not in caught.value.message
