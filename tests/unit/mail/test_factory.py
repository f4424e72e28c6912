"""open_sender: SMTP when a URL is set, else files under the data directory."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import pytest

from strongroom.config import load_settings
from strongroom.errors import InvalidInput
from strongroom.mail import FileSender, SmtpSender, compose, open_sender
from tests.smtp import SmtpServer


def _message() -> EmailMessage:
    return compose(sender="strongroom@example.org", to="zoe@example.org", subject="Hi",
                   text="hi\n")


def test_files_under_the_data_directory_by_default(tmp_path: Path) -> None:
    sender = open_sender(load_settings(environ={"STRONGROOM_DATA_DIR": str(tmp_path)}))
    assert isinstance(sender, FileSender)
    sender.send(_message())
    assert len(list((tmp_path / "mail").glob("*.eml"))) == 1


def test_smtp_when_a_url_is_set(smtp_server: SmtpServer, tmp_path: Path) -> None:
    settings = load_settings(environ={"STRONGROOM_DATA_DIR": str(tmp_path),
                                      "STRONGROOM_SMTP_URL": smtp_server.url})
    sender = open_sender(settings)
    assert isinstance(sender, SmtpSender)
    sender.send(_message())
    [message] = smtp_server.wait_for(1)
    assert message["Subject"] == "Hi"
    assert not (tmp_path / "mail").exists()


def test_a_malformed_url_is_refused_when_opening() -> None:
    settings = load_settings(environ={"STRONGROOM_SMTP_URL": "mail.example.org"})
    with pytest.raises(InvalidInput, match=r"STRONGROOM_SMTP_URL"):
        open_sender(settings)
