"""Sending mail through an SMTP server named by a URL.

``smtp://[user:password@]host[:port]``: plain SMTP, port 25. Plain means plain: STARTTLS is
not tried even when the server offers it, so a URL never half-promises encryption.
``smtp+starttls://...``: STARTTLS is required (port 587); a server that does not offer it is
refused before any credentials or mail are sent. ``smtps://...``: TLS from the first byte
(port 465). Credentials are percent-decoded (``p%40ss`` is ``p@ss``). TLS verifies the server's
certificate and host name against the system's trusted authorities unless the caller gives its
own ``ssl.SSLContext``.
"""

from __future__ import annotations

import contextlib
import re
import smtplib
import ssl
from email.message import EmailMessage
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from strongroom.errors import InvalidInput, Unavailable

_PORTS = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
_SETTING = "setting smtp_url (STRONGROOM_SMTP_URL)"


class _Server(NamedTuple):
    scheme: str
    host: str
    port: int
    user: str | None
    password: str | None


class SmtpSender:
    """Hands messages to the SMTP server of ``url``, one connection per message.

    Every network wait (connecting, the TLS handshake, each reply) may last ``timeout``
    seconds at most; the host name's lookup is the system resolver's. Raises InvalidInput,
    naming the setting, when ``url`` is not one of the forms in this module's docstring.
    """

    def __init__(self, url: str, *, timeout: float,
                 ssl_context: ssl.SSLContext | None = None) -> None:
        self._server = _parse(url)
        self._timeout = timeout
        self._ssl_context = ssl_context or ssl.create_default_context()

    def send(self, message: EmailMessage) -> None:
        """Send ``message`` to its ``To`` address from its ``From`` address; Unavailable, saying
        why, when the server cannot be reached, does not answer in time, refuses the TLS,
        the credentials, the sender or the recipient."""
        server = self._server
        try:
            smtp = self._connect()
        except (OSError, smtplib.SMTPException) as exc:
            raise self._unavailable(message, exc) from exc
        try:
            if server.scheme == "smtp+starttls":
                smtp.starttls(context=self._ssl_context)
            if server.user is not None and server.password is not None:
                smtp.login(server.user, server.password)
            smtp.send_message(message)
            # The message was accepted: a failed goodbye changes nothing.
            with contextlib.suppress(OSError, smtplib.SMTPException):
                smtp.quit()
        except (OSError, smtplib.SMTPException) as exc:
            raise self._unavailable(message, exc) from exc
        finally:
            smtp.close()

    def _connect(self) -> smtplib.SMTP:
        server = self._server
        if server.scheme == "smtps":
            return smtplib.SMTP_SSL(server.host, server.port, timeout=self._timeout,
                                    context=self._ssl_context)
        return smtplib.SMTP(server.host, server.port, timeout=self._timeout)

    def _unavailable(self, message: EmailMessage, exc: BaseException) -> Unavailable:
        where = f"{self._server.scheme}://{self._server.host}:{self._server.port}"
        return Unavailable(f"mail to {message['To']} could not be sent through {where}: "
                           f"{_reason(exc, self._timeout)}")


def _reason(exc: BaseException, timeout: float) -> str:  # noqa: PLR0911 - one per failure
    """Words for why the hand-over failed, without the credentials."""
    causes = []
    cause: BaseException | None = exc
    while cause is not None:  # smtplib reports a timeout while reading as a disconnection
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    if any(isinstance(cause, TimeoutError) for cause in causes):
        return f"the server did not answer within {timeout:g} seconds"
    if isinstance(exc, ConnectionRefusedError):
        return "the connection was refused (is the server running?)"
    if isinstance(exc, smtplib.SMTPNotSupportedError) and "STARTTLS" in str(exc):
        return "the server does not offer STARTTLS, which smtp+starttls:// requires"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return "the server refused the user name or password"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refusals = [f"{address} ({code} {_text(reply)})"
                    for address, (code, reply) in exc.recipients.items()]
        return "the server refused the recipient " + ", ".join(refusals)
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return (f"the server refused the sender {exc.sender} "
                f"({exc.smtp_code} {_text(exc.smtp_error)})")
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the server answered {exc.smtp_code} {_text(exc.smtp_error)}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return f"its TLS certificate is not trusted ({exc.verify_message})"
    return str(exc) or type(exc).__name__


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply


def _parse(url: str) -> _Server:
    """The parts of an SMTP URL; InvalidInput naming the setting (never the password)."""
    shown = re.sub(r"^([a-z+]+://)?.*@", r"\1***@", url, flags=re.IGNORECASE)
    malformed = InvalidInput(
        f"{_SETTING}: {shown!r} is not a URL such as smtp+starttls://user:password@"
        "mail.example.org:587 (with '@', ':' and '/' in the user name or password "
        "percent-encoded, and no path, query or fragment)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise malformed from None  # its words may quote part of the password
    if parts.scheme not in _PORTS:
        raise InvalidInput(f"{_SETTING}: {shown!r} does not start with smtp://, "
                           "smtp+starttls:// or smtps://")
    if not parts.hostname or parts.path not in ("", "/") or parts.query or parts.fragment:
        raise malformed
    if (parts.username is None) != (parts.password is None):
        raise InvalidInput(f"{_SETTING}: {shown!r} has a user name without a password, "
                           "or a password without a user name")
    user, password = (None if text is None else unquote(text)
                      for text in (parts.username, parts.password))
    if not (user or "").isascii() or not (password or "").isascii():
        # smtplib sends credentials as ASCII only.
        raise InvalidInput(f"{_SETTING}: {shown!r}: the user name and password must be ASCII")
    return _Server(
        scheme=parts.scheme, host=parts.hostname, port=port or _PORTS[parts.scheme],
        user=user, password=password)
