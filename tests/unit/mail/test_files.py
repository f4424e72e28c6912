"""FileSender: whole .eml files, apart and in order, each announced by a warning."""

from __future__ import annotations

import email.policy
import logging
import stat
import threading
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from strongroom.errors import Unavailable
from strongroom.mail import FileSender, compose


def _message(subject: str = "Verify your address", text: str = "hello\n") -> EmailMessage:
    return compose(sender="strongroom@example.org", to="zoe@example.org", subject=subject,
                   text=text)


def test_the_directory_is_made_and_only_the_owner_reads(tmp_path: Path) -> None:
    directory = tmp_path / "data" / "mail"
    FileSender(directory).send(_message())
    [path] = directory.iterdir()
    assert path.suffix == ".eml"
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_each_send_is_logged_with_where_it_went(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="strongroom.mail"):
        FileSender(tmp_path).send(_message(subject="Reset your password"))
    [path] = tmp_path.glob("*.eml")
    [record] = caplog.records
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        f"mail to zoe@example.org (Reset your password) was not sent: written to {path}; "
        "set smtp_url (STRONGROOM_SMTP_URL) to send mail")


def test_messages_of_one_second_get_names_apart_and_in_order(tmp_path: Path) -> None:
    sender = FileSender(tmp_path)
    for number in range(20):
        sender.send(_message(subject=f"message {number}"))
    names = sorted(path.name for path in tmp_path.glob("*.eml"))
    assert len(names) == 20
    assert len({name[:15] for name in names}) < 20  # some share a second: "20260101T120000"
    parser = BytesParser(policy=email.policy.default)
    subjects = [parser.parsebytes((tmp_path / name).read_bytes())["Subject"] for name in names]
    assert subjects == [f"message {number}" for number in range(20)]


def test_a_reader_never_sees_a_partial_message(tmp_path: Path) -> None:
    text = "line of a long message\n" * 50_000  # about 1 MiB
    sender = FileSender(tmp_path)
    sent = threading.Event()
    seen: dict[str, set[int]] = {}

    def watch() -> None:
        while not sent.is_set():
            for path in tmp_path.glob("*.eml"):
                seen.setdefault(path.name, set()).add(len(path.read_bytes()))

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        for _ in range(10):
            sender.send(_message(text=text))
    finally:
        sent.set()
        watcher.join()
    sizes = {path.name: path.stat().st_size for path in tmp_path.glob("*.eml")}
    assert len(sizes) == 10
    assert seen  # the watcher did look at files while they were being written
    assert {name: {sizes[name]} for name in seen} == seen
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(sizes)  # no temporary left


def test_an_unwritable_directory_is_unavailable(tmp_path: Path) -> None:
    in_the_way = tmp_path / "mail"
    in_the_way.write_text("a file where the directory should be")
    with pytest.raises(Unavailable, match=r"mail to zoe@example\.org could not be written to "
                                          rf".*{in_the_way.name}"):
        FileSender(in_the_way).send(_message())
