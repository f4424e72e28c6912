"""Web sessions: a browser holds a random secret in a cookie; the database holds its SHA-256.

A session starts at login, under a new secret (so a cookie planted before login is worth
nothing afterwards: session fixation), carries the CSRF secret of the forms its pages show, and
ends at logout, at expiry, or when its user's password changes. A user with a second factor is
signed in only once that factor is given too, and the secret changes again then. (Anonymous
pages keep no session: web/ protects their forms with a cookie of their own.)

Uses the ORM: sessions are read once per page view, never on the read API's path.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from strongroom.accounts.clients import Client
from strongroom.accounts.models import User, WebSession
from strongroom.db.engine import Database
from strongroom.domain.principals import Principal, PrincipalKind
from strongroom.errors import NotAuthenticated
from strongroom.history import EventKind, History

# A session lasts this long from its start, signed in or not (PyPI's: 12 hours).
SESSION_LIFETIME = dt.timedelta(hours=12)
# Sensitive actions ask for the password again once it was given this long ago.
REAUTHENTICATE_AFTER = dt.timedelta(minutes=30)
_TOUCH_EVERY = dt.timedelta(minutes=1)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class SessionView:
    """What a page needs of its session: the CSRF secret, and who is signed in (None while
    anonymous, or while a second factor is still owed: ``pending_user_id`` then)."""

    csrf: str
    user_id: int | None
    username: str | None
    pending_user_id: int | None
    authenticated: dt.datetime | None
    expires: dt.datetime

    def recently_authenticated(self, now: dt.datetime) -> bool:
        """Whether the password was given within REAUTHENTICATE_AFTER."""
        return self.authenticated is not None and now - self.authenticated < REAUTHENTICATE_AFTER


def _view(row: WebSession, user: User | None) -> SessionView:
    complete = user is not None and (row.second_factor or not user.has_second_factor)
    return SessionView(
        csrf=row.csrf,
        user_id=row.user_id if complete else None,
        username=user.username if complete and user is not None else None,
        pending_user_id=row.user_id if user is not None and not complete else None,
        authenticated=row.authenticated,
        expires=row.expires,
    )


class SessionService:
    """Finding, signing in and ending web sessions."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def find(self, secret: str, *, now: dt.datetime) -> SessionView | None:
        """The live session whose cookie holds ``secret``; None when unknown or expired, or
        when its user was disabled."""
        with self._db.read() as session:
            row = session.get(WebSession, _digest(secret))
            if row is None or row.expires <= now:
                return None
            user = session.get(User, row.user_id) if row.user_id is not None else None
            if user is not None and not user.is_active:
                return None
            view = _view(row, user)
            stale = now - row.last_seen >= _TOUCH_EVERY
        if stale:
            with self._db.write() as session:
                session.execute(update(WebSession).where(WebSession.id == _digest(secret))
                                .values(last_seen=now))
        return view

    def principal(self, secret: str, *, now: dt.datetime) -> Principal:
        """The user signed in (second factor given, if they have one) by the session
        ``secret``. Raises NotAuthenticated."""
        view = self.find(secret, now=now)
        if view is None or view.user_id is None or view.username is None:
            raise NotAuthenticated("the session is not signed in")
        return Principal(PrincipalKind.USER, view.username, user_id=view.user_id)

    def sign_in(self, secret: str | None, user_id: int, *, now: dt.datetime) -> str:
        """Replace the session ``secret`` (if any) with a new one signed in as ``user_id``,
        its password given ``now``; returns the new secret. A user with a second factor still
        owes it (``second_factor_given``)."""
        new = secrets.token_urlsafe(32)
        with self._db.write() as session:
            if secret is not None:
                session.execute(delete(WebSession).where(WebSession.id == _digest(secret)))
            session.execute(delete(WebSession).where(WebSession.expires <= now))
            session.add(WebSession(id=_digest(new), user_id=user_id,
                                   csrf=secrets.token_urlsafe(32), created=now, last_seen=now,
                                   expires=now + SESSION_LIFETIME, authenticated=now))
        return new

    def second_factor_given(self, secret: str, *, now: dt.datetime) -> str:
        """Mark the session ``secret`` as past its second factor, under a new secret (the
        privilege changes, so the cookie does too); returns it."""
        new = secrets.token_urlsafe(32)
        with self._db.write() as session:
            row = session.get(WebSession, _digest(secret))
            if row is None:
                raise LookupError("the session ended")
            session.add(WebSession(id=_digest(new), user_id=row.user_id,
                                   csrf=secrets.token_urlsafe(32), created=now, last_seen=now,
                                   expires=now + SESSION_LIFETIME, authenticated=now,
                                   second_factor=True))
            session.delete(row)
        return new

    def reauthenticated(self, secret: str, *, now: dt.datetime) -> None:
        """Record that the password was given again ``now``."""
        with self._db.write() as session:
            session.execute(update(WebSession).where(WebSession.id == _digest(secret))
                            .values(authenticated=now))

    def end(self, secret: str, client: Client, *, now: dt.datetime) -> None:
        """End the session ``secret`` (logout); nothing happens when it is unknown. The end of
        a session with a user in it (signed in, or owing a second factor) is recorded as
        ``logout`` from ``client``, in the same transaction."""
        with self._db.write() as session:
            row = session.get(WebSession, _digest(secret))
            if row is None:
                return
            user = None if row.user_id is None else session.get(User, row.user_id)
            session.delete(row)
            if user is not None:
                History.record(session, EventKind.LOGOUT, user=user, address=client.address,
                               user_agent=client.user_agent, now=now)

    def set_challenge(self, secret: str, challenge: bytes | None) -> None:
        """Keep (or forget) the WebAuthn challenge of a ceremony under way in this session."""
        with self._db.write() as session:
            session.execute(update(WebSession).where(WebSession.id == _digest(secret))
                            .values(challenge=challenge))

    def challenge(self, secret: str) -> bytes | None:
        """The WebAuthn challenge kept by ``set_challenge``."""
        with self._db.read() as session:
            return session.scalar(select(WebSession.challenge)
                                  .where(WebSession.id == _digest(secret)))

    def take_challenge(self, secret: str) -> bytes | None:
        """The challenge kept by ``set_challenge``, forgotten as it is read (a conditional
        UPDATE): of two requests taking one challenge, one gets it, the other None."""
        challenge = self.challenge(secret)
        if challenge is None:
            return None
        with self._db.write_connection() as connection:
            taken = connection.execute(
                update(WebSession).where(WebSession.id == _digest(secret),
                                         WebSession.challenge == challenge)
                .values(challenge=None)).rowcount == 1
        return challenge if taken else None


def end_sessions_of(session: Session, user_id: int, *, keep: str | None = None) -> None:
    """End every session of ``user_id`` in ``session``'s transaction, but the one whose
    secret is ``keep`` (the browser that changed the password stays signed in)."""
    statement = delete(WebSession).where(WebSession.user_id == user_id)
    if keep is not None:
        statement = statement.where(WebSession.id != _digest(keep))
    session.execute(statement)
