"""An administrator's heavier work on accounts: deleting one, and resetting its second factors
(for a user who lost them). Rare work, so the ORM throughout; each change is in the security
history, recorded in the transaction that makes it.

Deleting an account touches rows that other capabilities own (roles, API tokens, releases'
uploaders), and those capabilities import this one, so it cannot import them. Each hands in its
part as an ``AccountDependent``, which the entry points (cli/, web/) assemble, and which runs
in the deletion's transaction before the user's row goes. A dependent that was left out shows
as the database refusing the deletion (its foreign key), never as a row pointing at nobody.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from strongroom.accounts.models import Email, RecoveryCode, SecurityKey, User, WebSession
from strongroom.accounts.service import user_named
from strongroom.db import journal
from strongroom.db.engine import Database
from strongroom.errors import InvalidInput
from strongroom.history import EventKind, History

MAX_REASON_LENGTH = 1000


@dataclass(frozen=True)
class Released:
    """What a capability did with its rows that pointed at a deleted account: words for the
    administrator and, when it journaled a change, what it wrote (for the commit hook)."""

    description: str
    written: journal.Written | None = None


class AccountDependent(Protocol):
    """A capability's part in deleting ``user``'s account by ``actor`` at ``now``: inside the
    deletion's transaction, it deletes or unlinks its rows that point at the user, or raises
    (Conflict) to refuse the deletion, which then changes nothing."""

    def __call__(self, session: Session, user: User, *, now: dt.datetime, actor: str
                 ) -> Released: ...


@dataclass(frozen=True)
class DeletedAccount:
    """A deleted (or, in a dry run, deletable) account and what went with it, in words."""

    username: str
    released: tuple[str, ...]


@dataclass(frozen=True)
class SecondFactorsReset:
    """What a reset removed: the TOTP secret (whether there was one), how many security keys
    and recovery codes, and how many web sessions were ended."""

    username: str
    totp: bool
    security_keys: int
    recovery_codes: int
    sessions: int


def _ignore(_written: journal.Written) -> None:
    """The default commit hook: nothing to tell."""


class AccountAdmin:
    """Deletes accounts (with ``dependents``, the other capabilities' parts; ``on_commit``
    gets what they journaled once it committed) and resets second factors."""

    def __init__(self, db: Database, *, dependents: Sequence[AccountDependent] = (),
                 on_commit: Callable[[journal.Written], None] = _ignore) -> None:
        self._db = db
        self._dependents = tuple(dependents)
        self._on_commit = on_commit

    def delete(self, username: str, *, now: dt.datetime, actor: str,
               dry_run: bool = False) -> DeletedAccount:
        """Delete the account ``username`` (case-insensitive), by ``actor`` at ``now``.

        In one transaction: each dependent does its part (roles, tokens ...); the account's
        e-mail addresses, second factors, web sessions and mailed links go with it; its
        security events stay, no longer linked to it (``user_id`` NULL, the name kept), and
        ``account.deleted`` joins them. With ``dry_run`` everything is checked and counted,
        then rolled back. Raises NotFound for an unknown user, and whatever a dependent
        refuses with (Conflict for a project's only Owner).
        """
        with self._db.write() as session:
            # A savepoint, so that a dry run can do everything and then undo it.
            attempt = session.begin_nested()
            user = user_named(session, username)
            released = [dependent(session, user, now=now, actor=actor)
                        for dependent in self._dependents]
            deleted = DeletedAccount(user.username, (
                *(part.description for part in released if part.description),
                _own_rows(session, user)))
            History.record(session, EventKind.ACCOUNT_DELETED, user=user, now=now,
                           details={"by": actor, "released": list(deleted.released)})
            session.delete(user)
            session.flush()
            if dry_run:
                attempt.rollback()
                return deleted
            attempt.commit()
        for part in released:
            if part.written is not None:
                self._on_commit(part.written)
        return deleted

    def reset_second_factors(self, username: str, *, reason: str, now: dt.datetime,
                             actor: str) -> SecondFactorsReset:
        """Remove every second factor of ``username`` (TOTP, security keys, recovery codes)
        and end their web sessions, so that they sign in with their password alone and set up
        a second factor again. ``2fa.reset`` in the history keeps ``reason`` (why the
        administrator ``actor`` believed it was them) and what was removed.

        Raises InvalidInput for a blank or overlong reason, NotFound for an unknown user.
        """
        reason = " ".join(reason.split())
        if not reason or len(reason) > MAX_REASON_LENGTH:
            raise InvalidInput(f"reason: say in 1 to {MAX_REASON_LENGTH} characters why the "
                               "second factors are reset (the security history keeps it)")
        with self._db.write() as session:
            user = user_named(session, username)
            reset = SecondFactorsReset(
                username=user.username,
                totp=user.totp_secret is not None,
                security_keys=_delete_rows(session, SecurityKey, user),
                recovery_codes=_delete_rows(session, RecoveryCode, user),
                sessions=_delete_rows(session, WebSession, user),
            )
            user.totp_secret = None
            user.totp_last_step = None
            History.record(session, EventKind.SECOND_FACTORS_RESET, user=user, now=now,
                           details={"by": actor, "reason": reason, "totp": reset.totp,
                                    "security_keys": reset.security_keys,
                                    "recovery_codes": reset.recovery_codes,
                                    "sessions": reset.sessions})
        return reset


def _delete_rows(session: Session,
                 table: type[SecurityKey] | type[RecoveryCode] | type[WebSession],
                 user: User) -> int:
    """Delete the rows of ``table`` (a model with ``user_id``) that belong to ``user``; how
    many there were."""
    return len(session.execute(delete(table).where(table.user_id == user.id)
                               .returning(table.id)).all())


def _own_rows(session: Session, user: User) -> str:
    """What of the account's own goes with it, in words."""
    addresses = session.scalar(select(func.count()).where(Email.user_id == user.id))
    sessions = session.scalar(select(func.count()).where(WebSession.user_id == user.id))
    return (f"{addresses} e-mail address(es), {sessions} web session(s) and every second "
            "factor deleted")
