"""What the account pages do with passwords, each written to the security history with the
client's address and user agent: logging in, confirming the password again, changing it, and
resetting it through a mailed link.

A password change or reset ends the account's other sessions in the same transaction. A
reset's new password is checked and hashed before the link is used, so a refused password
leaves the link working and the database's write lock is never held while hashing.
Uses the ORM: these are rare writes.
"""

from __future__ import annotations

import datetime as dt

from argon2 import PasswordHasher
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from strongroom.accounts.clients import Client
from strongroom.accounts.links import Purpose, consume, link_digest
from strongroom.accounts.models import AccountLink, User
from strongroom.accounts.passwords import PasswordPolicy
from strongroom.accounts.service import AccountService
from strongroom.accounts.sessions import end_sessions_of
from strongroom.db.engine import Database
from strongroom.errors import InvalidInput, NotAuthenticated, NotFound
from strongroom.history import EventKind, History


class Logins:
    """Password work for the web UI, recorded in the security history."""

    def __init__(self, db: Database, accounts: AccountService, *,
                 policy: PasswordPolicy, hasher: PasswordHasher | None = None) -> None:
        self._db = db
        self._accounts = accounts
        self._policy = policy
        self._hasher = hasher or PasswordHasher()

    def _record(self, kind: EventKind, user: tuple[int, str], client: Client,
                now: dt.datetime, session: Session | None = None) -> None:
        if session is None:
            History(self._db).record_now(kind, user=user, address=client.address,
                                         user_agent=client.user_agent, now=now)
        else:
            History.record(session, kind, user=user, address=client.address,
                           user_agent=client.user_agent, now=now)

    def _known(self, username: str) -> tuple[int, str] | None:
        with self._db.read() as session:
            row = session.execute(select(User.id, User.username).where(
                func.lower(User.username) == username.lower())).first()
        return (row.id, row.username) if row is not None else None

    def log_in(self, username: str, password: str, client: Client, *,
               now: dt.datetime) -> int:
        """The id of the active user whose password this is; records ``login`` (or, for a
        known user, ``login.failed``). Raises NotAuthenticated."""
        try:
            user = self._accounts.verify_password(username, password)
        except NotAuthenticated:
            known = self._known(username)
            if known is not None:  # unknown names are not recorded: nobody to tell
                self._record(EventKind.LOGIN_FAILED, known, client, now)
            raise
        with self._db.write() as session:
            session.execute(update(User).where(User.id == user.id).values(last_login=now))
            self._record(EventKind.LOGIN, (user.id, user.username), client, now, session)
        return user.id

    def confirm(self, user_id: int, password: str, client: Client, *,
                now: dt.datetime) -> None:
        """Check the signed-in user's password again (before a sensitive action). Raises
        NotAuthenticated, recording ``login.failed``."""
        with self._db.read() as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotFound("this account no longer exists")
            username = user.username
        try:
            self._accounts.verify_password(username, password)
        except NotAuthenticated:
            self._record(EventKind.LOGIN_FAILED, (user_id, username), client, now)
            raise

    def change_password(self, user_id: int, old: str, new: str, client: Client, *,
                        keep: str, now: dt.datetime) -> None:
        """Change the password (``old`` checked); every session but ``keep`` (a session
        secret) ends. Raises NotAuthenticated, InvalidInput."""
        self._accounts.change_password(user_id, old, new, now=now)
        with self._db.write() as session:
            user = session.get(User, user_id)
            if user is None:
                raise NotFound("this account no longer exists")
            end_sessions_of(session, user_id, keep=keep)
            self._record(EventKind.PASSWORD_CHANGED, (user.id, user.username), client, now,
                         session)

    def reset_password(self, secret: str, new: str, client: Client, *,
                       now: dt.datetime) -> str:
        """Use the reset link ``secret`` to set the password ``new``; every session of the
        account ends. Returns the user name. Raises InvalidInput for a link that does not
        work or a password the policy refuses (the link then still works)."""
        with self._db.read() as session:
            link = session.get(AccountLink, link_digest(secret))
            user = session.get(User, link.user_id) if link is not None else None
            if user is None or link is None or link.purpose != Purpose.RESET_PASSWORD.value:
                raise InvalidInput("this link is not valid: it expired, was already used, "
                                   "or was mistyped. Ask for a new one.")
            primary = user.primary_email
            username, address = user.username, primary.address if primary else ""
        self._policy.check(new, username=username, email=address)
        password_hash = self._hasher.hash(new)
        with self._db.write() as session:
            used = consume(session, secret, Purpose.RESET_PASSWORD, now=now)
            user = session.get(User, used.user_id)
            if user is None or not user.is_active:
                raise InvalidInput("this link's account is disabled or was deleted")
            user.password_hash = password_hash
            user.password_changed = now
            end_sessions_of(session, user.id)
            self._record(EventKind.PASSWORD_RESET, (user.id, user.username), client, now,
                         session)
            return user.username
