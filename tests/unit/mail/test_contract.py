"""The Sender contract, run over every backend: the .eml directory and SMTP (a real aiosmtpd
server on loopback)."""

from __future__ import annotations

import email.policy
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

import strongroom.mail
from strongroom.mail import FileSender, Sender, SmtpSender, compose
from tests.smtp import SmtpServer


@dataclass
class Backend:
    """A sender and a way to read what it handed over, in the order it was sent."""

    sender: Sender
    received: Callable[[int], list[EmailMessage]]


def _read_directory(directory: Path) -> Callable[[int], list[EmailMessage]]:
    def received(count: int) -> list[EmailMessage]:
        parser = BytesParser(policy=email.policy.default)
        messages = [parser.parsebytes(path.read_bytes())
                    for path in sorted(directory.glob("*.eml"))]
        assert len(messages) == count
        return messages
    return received


@pytest.fixture(params=["file", "smtp"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Backend:
    if request.param == "file":
        return Backend(FileSender(tmp_path / "mail"), _read_directory(tmp_path / "mail"))
    server: SmtpServer = request.getfixturevalue("smtp_server")
    return Backend(SmtpSender(server.url, timeout=5), server.wait_for)


def test_public_api_is_pinned() -> None:
    assert sorted(strongroom.mail.__all__) == [
        "FileSender", "Sender", "SmtpSender", "compose", "open_sender"]


def test_a_message_arrives_intact_in_any_script(backend: Backend) -> None:
    text = "Bonjour Zoë,\n\nconfirm here: https://pypi.example.org/verify/ÄÖÜ?t=1\n— 数据\n"
    message = compose(sender="Strongroom Índex <strongroom@example.org>",
                      to="Zoë Łukasz <zoe@example.org>", subject="Vérifiez votre adresse ✉",
                      text=text)
    backend.sender.send(message)
    [got] = backend.received(1)
    assert got["Subject"] == "Vérifiez votre adresse ✉"
    assert got["To"].addresses[0].display_name == "Zoë Łukasz"
    assert got["To"].addresses[0].addr_spec == "zoe@example.org"
    assert got["From"].addresses[0].addr_spec == "strongroom@example.org"
    assert got.get_content_type() == "text/plain"
    assert got.get_content_charset() == "utf-8"
    assert got.get_content() == text
    assert got["Message-ID"] == message["Message-ID"]
    assert got["Date"].datetime is not None


def test_messages_arrive_in_order_and_apart(backend: Backend) -> None:
    for number in range(3):
        backend.sender.send(compose(sender="strongroom@example.org", to="a@example.org",
                                    subject=f"message {number}", text=f"body {number}\n"))
    got = backend.received(3)
    assert [m["Subject"] for m in got] == ["message 0", "message 1", "message 2"]
    assert [m.get_content() for m in got] == ["body 0\n", "body 1\n", "body 2\n"]
    assert len({m["Message-ID"] for m in got}) == 3
