"""What every mail backend accepts (``Sender``) and how Strongroom builds a message
(``compose``)."""

from __future__ import annotations

import email.utils
from email.errors import InvalidHeaderDefect
from email.message import EmailMessage
from typing import Protocol

from strongroom.errors import InvalidInput


class Sender(Protocol):
    """Hands a message over for delivery."""

    def send(self, message: EmailMessage) -> None:
        """Hand ``message`` over (its ``From`` and ``To`` headers say from whom and to whom),
        blocking until it is accepted. Raises ``Unavailable``, with a message saying what failed
        and where, when it cannot be handed over; never a library's or the socket's own error."""
        ...


def compose(*, sender: str, to: str, subject: str, text: str) -> EmailMessage:
    """A plain-text UTF-8 message from ``sender`` to the one address ``to``, with ``Date`` and
    ``Message-ID`` headers.

    ``sender`` and ``to`` are addresses, optionally with a display name
    (``Strongroom <strongroom@example.org>``). Raises InvalidInput when the subject or an
    address holds a line break or another control character (header injection), or when an
    address is not exactly one ``name@domain`` in ASCII (a display name may be in any script).
    """
    for field, value in (("sender", sender), ("to", to), ("subject", subject)):
        if not value.isprintable():
            raise InvalidInput(f"mail {field} {value!r}: line breaks and control characters "
                               "are not allowed in a mail header")
    message = EmailMessage()
    for field, header, value in (("sender", "From", sender), ("to", "To", to)):
        try:
            message[header] = value
            addresses = message[header].addresses
            # "a@x; b@y" parses as one address and a defect, yet would go out as written.
            invalid = any(isinstance(d, InvalidHeaderDefect) for d in message[header].defects)
        except (ValueError, IndexError):  # the stdlib's parser fails so on some malformed text
            addresses, invalid = (), True
        if (len(addresses) != 1 or invalid or not addresses[0].username
                or not addresses[0].domain):
            raise InvalidInput(f"mail {field} {value!r}: not one address such as "
                               "name@example.org")
        if not addresses[0].addr_spec.isascii():
            # Such an address needs SMTPUTF8 end to end, which many servers still lack.
            raise InvalidInput(f"mail {field} {value!r}: only addresses in ASCII can be mailed")
    message["Subject"] = subject
    message["Date"] = email.utils.formatdate(usegmt=True)
    message["Message-ID"] = email.utils.make_msgid(domain=message["From"].addresses[0].domain)
    # Quoted-printable keeps the body 7-bit, so any relay carries it unchanged, 8BITMIME or not.
    message.set_content(text, charset="utf-8", cte="quoted-printable")
    return message
