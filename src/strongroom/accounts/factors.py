"""A user's second factors as the account pages use them: what they have, checking a code at
login (a TOTP code or a recovery code), setting up and removing TOTP, new recovery codes;
each recorded in the security history with the client's address and user agent.

TOTP and recovery codes keep their own rules (accounts/totp.py, accounts/recovery.py: no code
accepted twice); this module decides which a code is and what to record.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from strongroom.accounts.clients import Client
from strongroom.accounts.models import SecurityKey, User
from strongroom.accounts.recovery import RecoveryCodeService
from strongroom.accounts.totp import DIGITS, TotpEnrolment, TotpService
from strongroom.db.engine import Database
from strongroom.errors import NotFound
from strongroom.history import EventKind, History


@dataclass(frozen=True)
class FactorState:
    """Which second factors a user has: TOTP, how many security keys, how many unused
    recovery codes."""

    totp: bool
    security_keys: int
    recovery_codes: int

    @property
    def any(self) -> bool:
        return self.totp or self.security_keys > 0


def _looks_like_totp(code: str) -> bool:
    digits = "".join(code.split())
    return len(digits) == DIGITS and digits.isascii() and digits.isdigit()


class SecondFactors:
    """Second factors for the web UI, recorded in the security history."""

    def __init__(self, db: Database, totp: TotpService,
                 recovery: RecoveryCodeService) -> None:
        self._db = db
        self._totp = totp
        self._recovery = recovery
        self._history = History(db)

    def _record(self, kind: EventKind, user_id: int, client: Client, now: dt.datetime,
                **details: Any) -> None:
        with self._db.read() as session:
            username = session.scalar(select(User.username).where(User.id == user_id))
        if username is None:
            raise NotFound("this account no longer exists")
        self._history.record_now(kind, user=(user_id, username), address=client.address,
                                 user_agent=client.user_agent, details=details, now=now)

    def state(self, user_id: int) -> FactorState:
        """The user's second factors."""
        with self._db.read() as session:
            secret = session.scalar(select(User.totp_secret).where(User.id == user_id))
            keys = session.scalar(select(func.count()).select_from(SecurityKey)
                                  .where(SecurityKey.user_id == user_id)) or 0
        return FactorState(secret is not None, keys,
                           self._recovery.remaining_recovery_codes(user_id))

    def verify(self, user_id: int, code: str, client: Client, *, now: dt.datetime) -> bool:
        """Whether ``code`` is the user's TOTP code now, or one of their unused recovery
        codes (which is then used up). Records ``2fa.used``, ``recovery.code.used`` or
        ``2fa.failed``."""
        if _looks_like_totp(code):
            if self._totp.verify_totp(user_id, code, now=now):
                self._record(EventKind.SECOND_FACTOR_USED, user_id, client, now, method="totp")
                return True
        elif self._recovery.use_recovery_code(user_id, code, now=now):
            left = self._recovery.remaining_recovery_codes(user_id)
            self._record(EventKind.RECOVERY_CODE_USED, user_id, client, now, remaining=left)
            return True
        self._record(EventKind.SECOND_FACTOR_FAILED, user_id, client, now)
        return False

    def enrol_totp(self, user_id: int, *, secret: str | None = None) -> TotpEnrolment:
        """A secret to set up TOTP with: ``secret`` again (a failed confirmation shows the
        same one) when it is a well-formed secret, else a new one."""
        return self._totp.enrol_totp(user_id, secret=secret)

    def confirm_totp(self, user_id: int, secret: str, code: str, client: Client, *,
                     now: dt.datetime) -> list[str]:
        """Store the TOTP ``secret`` once ``code`` matches it (``2fa.totp.added``); a user
        without unused recovery codes gets a new set, returned to be shown once ([]
        otherwise). Raises InvalidInput, Conflict."""
        self._totp.confirm_totp(user_id, secret, code, now=now)
        self._record(EventKind.TOTP_ADDED, user_id, client, now)
        if self._recovery.remaining_recovery_codes(user_id):
            return []
        return self.new_recovery_codes(user_id, client, now=now)

    def remove_totp(self, user_id: int, client: Client, *, now: dt.datetime) -> None:
        """Remove TOTP (``2fa.totp.removed``)."""
        self._totp.remove_totp(user_id)
        self._record(EventKind.TOTP_REMOVED, user_id, client, now)

    def new_recovery_codes(self, user_id: int, client: Client, *,
                           now: dt.datetime) -> list[str]:
        """A new set of recovery codes, replacing the old (``recovery.codes.generated``)."""
        codes = self._recovery.generate_recovery_codes(user_id, now=now)
        self._record(EventKind.RECOVERY_CODES_GENERATED, user_id, client, now)
        return codes
