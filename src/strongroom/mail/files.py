"""The zero-configuration mail backend: each message becomes an ``.eml`` file."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import os
import secrets
import tempfile
from email.message import EmailMessage
from pathlib import Path

from strongroom.errors import Unavailable

log = logging.getLogger(__name__)


class FileSender:
    """Writes each message to ``<directory>/<UTC time>-<random>.eml`` instead of sending it.

    Names sort by the time they were written, and the random part keeps two messages of the
    same microsecond apart. A file is written whole under a temporary name (a dot file ending
    in ``.tmp``) and then renamed, so an ``.eml`` name never shows a partial message. The
    directory (made when missing) and the files are readable by their owner only: the messages
    hold password-reset and verification links. Each message is logged at WARNING, naming the
    file, so an administrator sees that mail is not being sent and where it went.
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def send(self, message: EmailMessage) -> None:
        """Write ``message`` to a new file; Unavailable when the directory or file cannot be
        written."""
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S.%fZ")
        path = self.directory / f"{stamp}-{secrets.token_hex(4)}.eml"
        try:
            self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
            _write_atomically(path, bytes(message))
        except OSError as exc:
            raise Unavailable(f"mail to {message['To']} could not be written to "
                              f"{self.directory}: {exc.strerror or exc}") from exc
        log.warning("mail to %s (%s) was not sent: written to %s; set smtp_url "
                    "(STRONGROOM_SMTP_URL) to send mail", message["To"], message["Subject"], path)


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file beside it, flushed to the disk
    before the rename; no temporary file is left when it fails."""
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")  # mode 0600
    tmp = Path(name)
    try:
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        tmp.replace(path)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
