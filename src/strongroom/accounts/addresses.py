"""A user's e-mail addresses: adding, choosing the primary one, removing, and listing them.

An address belongs to one account (compared without case). The primary address must be
verified once another address is verified, and an account always keeps one address.

Uses the ORM: rare, small writes from the account pages.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.accounts.clients import Client
from strongroom.accounts.models import Email, User
from strongroom.db.engine import Database
from strongroom.errors import Conflict, InvalidInput, NotFound
from strongroom.history import EventKind, History

MAX_ADDRESSES = 10


@dataclass(frozen=True)
class AddressView:
    """One address as its owner sees it."""

    address: str
    primary: bool
    verified: bool
    unverified_reason: str | None


def normalized_address(address: str) -> str:
    """``address`` in its normal form. Raises InvalidInput when it is not an address."""
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise InvalidInput(f"email {address!r}: {exc}") from exc


def _record(session: Session, kind: EventKind, user: User, address: str, *, client: Client,
            now: dt.datetime) -> None:
    History.record(session, kind, user=user, address=client.address,
                   user_agent=client.user_agent, details={"email": address}, now=now)


def _address_of(session: Session, user_id: int, address: str) -> Email:
    email = session.scalar(select(Email).where(Email.user_id == user_id,
                                               Email.normalized == address.lower()))
    if email is None:
        raise NotFound(f"no address {address!r} on this account")
    return email


def claim(session: Session, address: str) -> str:
    """``address`` normalised, once known to belong to no account. Raises InvalidInput or
    Conflict."""
    address = normalized_address(address)
    if session.scalar(select(Email.id).where(Email.normalized == address.lower())) is not None:
        raise Conflict(f"email {address!r} belongs to another account")
    return address


class Addresses:
    """The e-mail addresses of users."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def of(self, user_id: int) -> list[AddressView]:
        """The user's addresses, the primary one first."""
        with self._db.read() as session:
            emails = session.scalars(select(Email).where(Email.user_id == user_id)
                                     .order_by(Email.primary.desc(), Email.id))
            return [AddressView(e.address, e.primary, e.verified, e.unverified_reason)
                    for e in emails]

    def add(self, user_id: int, address: str, client: Client, *, now: dt.datetime) -> str:
        """Add an unverified address (``email.added``); returns it normalised. Raises
        InvalidInput, Conflict (another account's, or past MAX_ADDRESSES)."""
        with self._db.write() as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotFound("this account no longer exists")
            if len(user.emails) >= MAX_ADDRESSES:
                raise Conflict(f"an account may have at most {MAX_ADDRESSES} addresses")
            address = claim(session, address)
            user.emails.append(Email(address=address, normalized=address.lower(),
                                     primary=not user.emails, created=now))
            _record(session, EventKind.EMAIL_ADDED, user, address, client=client, now=now)
            return address

    def make_primary(self, user_id: int, address: str, client: Client, *,
                     now: dt.datetime) -> None:
        """Make a verified address the primary one. Raises NotFound, InvalidInput."""
        with self._db.write() as session:
            email = _address_of(session, user_id, address)
            if not email.verified:
                raise InvalidInput(f"{email.address} is not verified; verify it first")
            for other in email.user.emails:
                other.primary = other is email
            _record(session, EventKind.EMAIL_PRIMARY, email.user, email.address,
                    client=client, now=now)

    def remove(self, user_id: int, address: str, client: Client, *, now: dt.datetime) -> None:
        """Remove an address that is not the primary one (``email.removed``). Raises
        NotFound, InvalidInput."""
        with self._db.write() as session:
            email = _address_of(session, user_id, address)
            if email.primary:
                raise InvalidInput(f"{email.address} is the primary address; make another "
                                   "one primary first")
            _record(session, EventKind.EMAIL_REMOVED, email.user, email.address,
                    client=client, now=now)
            session.delete(email)
