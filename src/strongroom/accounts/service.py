"""Creating and finding users, and checking and changing their passwords (ORM sessions: admin
and login work, not a hot path). Passwords are hashed with Argon2id and must pass a
PasswordPolicy (accounts/passwords.py)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import ColumnElement, exists, func, select, update
from sqlalchemy.orm import Session, selectinload

from strongroom.accounts.clients import Client
from strongroom.accounts.models import Email, SecurityKey, User
from strongroom.accounts.passwords import MAX_PASSWORD_LENGTH, PasswordPolicy
from strongroom.db.engine import Database
from strongroom.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from strongroom.history import EventKind, History

_USERNAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,48}[A-Za-z0-9])?$")
_WRONG = "wrong username or password"
_DUMMY_HASHES: dict[tuple[object, ...], str] = {}


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


def has_second_factor(session: Session, user_id: int) -> bool:
    """Whether the user has TOTP or a security key (recovery codes alone do not count)."""
    totp = select(User.id).where(User.id == user_id, User.totp_secret.is_not(None))
    key = select(SecurityKey.id).where(SecurityKey.user_id == user_id)
    return bool(session.scalar(select(exists(totp) | exists(key))))


def second_factor_clause() -> ColumnElement[bool]:
    """Whether the user of a query's ``users`` row has TOTP or a security key, as SQL: for a
    statement that reads the row anyway (an API token's use), so the answer costs no query of
    its own."""
    keys = select(SecurityKey.id).where(SecurityKey.user_id == User.id)
    return User.totp_secret.is_not(None) | exists(keys)


def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash made with ``hasher``'s parameters, to verify against for a user who does not
    exist, so that an unknown name costs the time a known one does. Made once per process and
    set of parameters."""
    key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism, hasher.hash_len,
           hasher.salt_len, hasher.type)
    if key not in _DUMMY_HASHES:
        _DUMMY_HASHES[key] = hasher.hash("no such user")
    return _DUMMY_HASHES[key]


def _matches(hasher: PasswordHasher, password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class AccountService:
    """Users of the index: created by an admin for now; people sign up in a later version.

    ``hasher`` hashes passwords (argon2-cffi's defaults unless given; hashes made with other
    parameters are upgraded at the next login); ``policy`` judges new passwords (length and
    strength only, unless given one with a breached list: PasswordPolicy.from_settings).
    """

    def __init__(self, db: Database, hasher: PasswordHasher | None = None,
                 policy: PasswordPolicy | None = None) -> None:
        self._db = db
        self._hasher = hasher or PasswordHasher()
        self._policy = policy or PasswordPolicy()

    def create_user(self, username: str, *, email: str, password: str,
                    client: Client | None = None, now: dt.datetime | None = None) -> User:
        """Create an active user, recording ``account.created`` at ``now`` (default: the
        current time): by "registration" from ``client`` (the web UI's visitor) when given,
        else by "admin".

        Raises InvalidInput for a malformed username or e-mail address, or a password the
        policy refuses ("password: ..."); Conflict when the username is taken
        (case-insensitively) or the address belongs to another account; Unavailable when the
        breached-password list cannot be searched.
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
        self._policy.check(password, username=username, email=email)
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
            History.record(session, EventKind.ACCOUNT_CREATED, user=user,
                           address=client.address if client else None,
                           user_agent=client.user_agent if client else None,
                           details={"by": "registration" if client else "admin"},
                           now=now or dt.datetime.now(dt.UTC))
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

    def has_second_factor(self, user_id: int) -> bool:
        """Whether the user has TOTP or a security key (recovery codes alone do not count)."""
        with self._db.read() as session:
            return has_second_factor(session, user_id)

    def verify_password(self, username: str, password: str) -> User:
        """The active user called ``username`` (case-insensitive) whose password this is.

        An unknown name costs the time of a wrong password and reads the same:
        NotAuthenticated("wrong username or password"). A disabled account is refused only
        after its password verified (NotAuthenticated "the account is disabled"). A hash made
        with other parameters than the hasher's is replaced by a new one (unless the password
        changed meanwhile). Records nothing else: the login is complete only after a second
        factor, which the caller checks (``has_second_factor``).
        """
        if len(password) > MAX_PASSWORD_LENGTH:  # no password is this long; don't hash it
            raise NotAuthenticated(_WRONG)
        with self._db.read() as session:
            user = session.scalar(select(User).options(selectinload(User.emails))
                                  .where(func.lower(User.username) == username.lower()))
        if user is None:
            _matches(self._hasher, _dummy_hash(self._hasher), password)
            raise NotAuthenticated(_WRONG)
        if not _matches(self._hasher, user.password_hash, password):
            raise NotAuthenticated(_WRONG)
        if not user.is_active:
            raise NotAuthenticated("the account is disabled")
        if self._hasher.check_needs_rehash(user.password_hash):
            self._replace_hash(user, self._hasher.hash(password), changed=None)
        return user

    def change_password(self, user_id: int, old: str, new: str, *, now: dt.datetime) -> None:
        """Give the user the password ``new`` after checking ``old``, and set
        ``password_changed`` to ``now`` (sessions signed in before it should end).

        Raises NotFound for an unknown user; NotAuthenticated("current password: ...") when
        ``old`` is wrong, or the account is disabled; InvalidInput ("password: ...") when the
        policy refuses ``new``; Conflict when the password changed meanwhile.
        """
        with self._db.read() as session:
            user = session.get(User, user_id, options=[selectinload(User.emails)])
            if user is None:
                raise NotFound(f"no user with id {user_id}")
            primary = user.primary_email
        if len(old) > MAX_PASSWORD_LENGTH or not _matches(self._hasher, user.password_hash, old):
            raise NotAuthenticated("current password: wrong password")
        if not user.is_active:
            raise NotAuthenticated("the account is disabled")
        self._policy.check(new, username=user.username,
                           email=primary.address if primary else "")
        if not self._replace_hash(user, self._hasher.hash(new), changed=now):
            raise Conflict("password: changed by another request meanwhile; try again")

    def _replace_hash(self, user: User, password_hash: str, *,
                      changed: dt.datetime | None) -> bool:
        """Store ``password_hash`` if the user's hash is still the one read (a concurrent
        change wins over a rehash or a second change); whether it was stored."""
        values: dict[str, object] = {"password_hash": password_hash}
        if changed is not None:
            values["password_changed"] = changed
        with self._db.write() as session:
            result = session.execute(
                update(User).where(User.id == user.id, User.password_hash == user.password_hash)
                .values(**values).execution_options(synchronize_session=False))
        stored = bool(result.rowcount)  # type: ignore[attr-defined]
        if stored:
            user.password_hash = password_hash
        return stored
