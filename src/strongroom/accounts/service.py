"""Creating and finding users. Passwords are hashed with Argon2id."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from strongroom.accounts.models import Email, User
from strongroom.db.engine import Database
from strongroom.errors import Conflict, InvalidInput, NotFound
from strongroom.history import EventKind, History

_USERNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,48}[A-Za-z0-9])?$")
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 4096


@dataclass(frozen=True)
class UserSummary:
    """A user as an administrator sees it, without the password's hash."""

    username: str
    email: str
    active: bool
    created: dt.datetime


def _summary(user: User) -> UserSummary:
    primary = user.primary_email
    return UserSummary(user.username, primary.address if primary else "", user.is_active,
                       user.created)


def user_named(session: Session, username: str) -> User:
    """The user called ``username`` (compared without case), read in ``session``. Raises
    NotFound."""
    user = session.scalar(select(User).where(func.lower(User.username) == username.lower()))
    if user is None:
        raise NotFound(f"no user named {username!r}")
    return user


class AccountService:
    """Users of the index: created by an admin for now; people sign up in a later version."""

    def __init__(self, db: Database, hasher: PasswordHasher | None = None) -> None:
        self._db = db
        self._hasher = hasher or PasswordHasher()

    def create_user(self, username: str, *, email: str, password: str) -> User:
        """Create an active user.

        Raises InvalidInput for a malformed username, e-mail address or a password shorter than
        MIN_PASSWORD_LENGTH; Conflict when the username is taken (case-insensitively).
        """
        if not _USERNAME.match(username):
            raise InvalidInput(
                f"username {username!r}: use 1-50 ASCII letters, digits, '.', '_' or '-', "
                "starting and ending with a letter or digit"
            )
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise InvalidInput(f"email {email!r}: {exc}") from exc
        if not MIN_PASSWORD_LENGTH <= len(password) <= MAX_PASSWORD_LENGTH:
            raise InvalidInput(
                f"password: must be {MIN_PASSWORD_LENGTH} to {MAX_PASSWORD_LENGTH} characters long"
            )
        password_hash = self._hasher.hash(password)
        with self._db.write() as session:
            taken = session.scalar(
                select(User.id).where(func.lower(User.username) == username.lower())
            )
            if taken is not None:
                raise Conflict(f"username {username!r} is already taken")
            if session.scalar(select(Email.id).where(Email.normalized == email.lower())):
                raise Conflict(f"email {email!r} belongs to another account")
            user = User(username=username, password_hash=password_hash,
                        emails=[Email(address=email, normalized=email.lower(), primary=True)])
            session.add(user)
            session.flush()
        return user

    def list_users(self) -> list[UserSummary]:
        """Every user, by username."""
        with self._db.read() as session:
            return [_summary(user) for user in session.scalars(
                select(User).options(selectinload(User.emails))
                .order_by(func.lower(User.username)))]

    def set_active(self, username: str, *, active: bool, now: dt.datetime | None = None,
                   actor: str = "admin") -> UserSummary:
        """Enable or disable a user (case-insensitive name); a disabled user's tokens are
        refused at their next use. A change is in the security history (``account.enabled``
        or ``account.disabled`` by ``actor`` at ``now``, default the current time). Raises
        NotFound."""
        with self._db.write() as session:
            user = user_named(session, username)
            if user.is_active != active:
                user.is_active = active
                kind = EventKind.ACCOUNT_ENABLED if active else EventKind.ACCOUNT_DISABLED
                History.record(session, kind, user=user, details={"by": actor},
                               now=now or dt.datetime.now(dt.UTC))
            return _summary(user)

    def summary(self, username: str) -> UserSummary:
        """The user called ``username`` (case-insensitive), as an admin sees it. Raises
        NotFound."""
        with self._db.read() as session:
            return _summary(user_named(session, username))

    def get_user(self, username: str) -> User:
        """The user with this username (case-insensitive). Raises NotFound."""
        with self._db.read() as session:
            return user_named(session, username)
