"""Links sent by mail: verifying an address, resetting a password.

A link carries a random secret; the database keeps its SHA-256, what it is for, and until when
it works. It works once: using it marks it used in the same transaction as what it does, so a
link replayed (or used twice at once) does nothing the second time. A reset is made only for a
verified address, so whoever took over an address's expired domain cannot ask for one.

Uses the ORM: these are rare, small writes.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.orm import Session

from strongroom.accounts.clients import Client
from strongroom.accounts.models import AccountLink, Email, User
from strongroom.db.engine import Database
from strongroom.errors import InvalidInput, NotFound
from strongroom.history import EventKind, History


class Purpose(StrEnum):
    VERIFY_EMAIL = "verify-email"
    RESET_PASSWORD = "reset-password"  # noqa: S105 - a purpose's name, not a password


# How long a link works after it is sent.
LIFETIMES = {Purpose.VERIFY_EMAIL: dt.timedelta(hours=24),
             Purpose.RESET_PASSWORD: dt.timedelta(hours=1)}


@dataclass(frozen=True)
class Link:
    """A link to send: its secret (for the URL), the address it goes to and whose it is."""

    secret: str
    address: str
    username: str


def link_digest(secret: str) -> str:
    """How the database finds the link whose secret is ``secret``."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _new(session: Session, purpose: Purpose, email: Email, now: dt.datetime) -> Link:
    secret = secrets.token_urlsafe(32)
    session.add(AccountLink(id=link_digest(secret), user_id=email.user_id, purpose=purpose.value,
                            email_id=email.id, created=now, expires=now + LIFETIMES[purpose]))
    return Link(secret, email.address, email.user.username)


def consume(session: Session, secret: str, purpose: Purpose, *, now: dt.datetime) -> AccountLink:
    """Mark the link ``secret`` used, in ``session``'s transaction, and return it.

    Raises InvalidInput when no such link exists for ``purpose``, or it expired or was used:
    the three are told apart to nobody, as each means "ask for a new one".
    """
    used: CursorResult[Any] = session.execute(  # type: ignore[assignment]
        update(AccountLink)
        .where(AccountLink.id == link_digest(secret), AccountLink.purpose == purpose.value,
               AccountLink.used.is_(None), AccountLink.expires > now)
        .values(used=now))
    link = session.get(AccountLink, link_digest(secret)) if used.rowcount == 1 else None
    if link is None:
        raise InvalidInput("this link is not valid: it expired, was already used, or was "
                           "mistyped. Ask for a new one.")
    return link


class Links:
    """Making and using the links of ``Purpose``."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def verification(self, user_id: int, address: str, *, now: dt.datetime) -> Link:
        """A link verifying ``address``, one of the user's own. Raises NotFound when the user
        has no such address, InvalidInput when it is verified already."""
        with self._db.write() as session:
            email = session.scalar(select(Email).where(
                Email.user_id == user_id, Email.normalized == address.lower()))
            if email is None:
                raise NotFound(f"no address {address!r} on this account")
            if email.verified:
                raise InvalidInput(f"{email.address} is verified already")
            return _new(session, Purpose.VERIFY_EMAIL, email, now)

    def verify(self, secret: str, client: Client, *, now: dt.datetime) -> str:
        """Use a verification link: its address becomes verified (``email.verified`` is
        recorded). Returns the address. Raises InvalidInput for a link that does not work."""
        with self._db.write() as session:
            link = consume(session, secret, Purpose.VERIFY_EMAIL, now=now)
            email = session.get(Email, link.email_id) if link.email_id is not None else None
            if email is None:
                raise InvalidInput("this link's address was removed from its account")
            email.verified = True
            email.verified_at = now
            email.unverified_reason = None
            History.record(session, EventKind.EMAIL_VERIFIED, user=email.user,
                           address=client.address, user_agent=client.user_agent,
                           details={"email": email.address}, now=now)
            return email.address

    def password_reset(self, who: str, *, now: dt.datetime) -> Link | None:
        """A reset link for the account whose username or verified address is ``who``, sent
        to that verified address (by username: the primary address if verified, else the
        first verified one). None when there is no such account, it is disabled, or it has no
        verified address: the page says the same either way, so nobody learns which."""
        with self._db.write() as session:
            email = session.scalar(select(Email).join(User).where(
                Email.normalized == who.lower(), Email.verified, User.is_active))
            if email is None:
                user = session.scalar(select(User).where(
                    func.lower(User.username) == who.lower(), User.is_active))
                verified = [e for e in user.emails if e.verified] if user is not None else []
                verified.sort(key=lambda e: not e.primary)
                email = verified[0] if verified else None
            if email is None:
                return None
            return _new(session, Purpose.RESET_PASSWORD, email, now)
