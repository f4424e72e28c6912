"""Choosing the mail backend from settings."""

from __future__ import annotations

from strongroom.config import Settings
from strongroom.mail.files import FileSender
from strongroom.mail.message import Sender
from strongroom.mail.smtp import SmtpSender


def open_sender(settings: Settings) -> Sender:
    """``SmtpSender`` for ``smtp_url`` with ``smtp_timeout`` when a URL is set, else a
    ``FileSender`` writing under ``<data_dir>/mail``. Raises InvalidInput for a malformed URL."""
    if settings.smtp_url:
        return SmtpSender(settings.smtp_url, timeout=settings.smtp_timeout)
    return FileSender(settings.data_dir / "mail")
