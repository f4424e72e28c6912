"""Recovery codes: the way into an account whose second factor is lost. Eight codes of 8 random
bytes each (16 hex digits, as PyPI makes them), shown once, stored only as Argon2 hashes, each
good for one use. A new set replaces the old one whole.

A code is used up by a conditional UPDATE (``used IS NULL``), so one code given twice at once
passes once. Codes are never logged. ORM sessions throughout: this is not a hot path.
"""

from __future__ import annotations

import datetime as dt
import secrets
import string

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from strongroom.accounts.models import RecoveryCode, User
from strongroom.db.engine import Database
from strongroom.errors import NotFound

CODES = 8
CODE_BYTES = 8
# A code holds 64 random bits, out of reach of guessing however fast the hash, so the hash
# need not be slow: a cheap Argon2 keeps a wrong code, checked against every code left,
# from costing the server much.
_CODE_HASHER = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1)


def _normalised(code: str) -> str | None:
    """The code in lower case without whitespace or dashes, or None unless it is then
    CODE_BYTES * 2 hex digits."""
    code = "".join(code.split()).replace("-", "").lower()
    return code if len(code) == CODE_BYTES * 2 and set(code) <= set(string.hexdigits) else None


def _ensure_user(session: Session, user_id: int) -> None:
    if session.get(User, user_id) is None:
        raise NotFound(f"no user with id {user_id}")


class RecoveryCodeService:
    """Users' recovery codes. ``hasher`` hashes them (a cheap Argon2 unless given)."""

    def __init__(self, db: Database, hasher: PasswordHasher | None = None) -> None:
        self._db = db
        self._hasher = hasher or _CODE_HASHER

    def generate_recovery_codes(self, user_id: int, *, now: dt.datetime) -> list[str]:
        """CODES new codes for the user, each 16 lower-case hex digits, replacing every code
        the user had (used or not). Only their hashes are stored: show them to the user now,
        they cannot be read back. Raises NotFound for an unknown user."""
        codes = [secrets.token_hex(CODE_BYTES) for _ in range(CODES)]
        hashes = [self._hasher.hash(code) for code in codes]
        with self._db.write() as session:
            _ensure_user(session, user_id)
            session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
            session.add_all(RecoveryCode(user_id=user_id, code_hash=code_hash, created=now)
                            for code_hash in hashes)
        return codes

    def use_recovery_code(self, user_id: int, code: str, *, now: dt.datetime) -> bool:
        """Whether ``code`` (case, whitespace and dashes aside) is one of the user's unused
        codes; if so it is marked used at ``now`` and never accepted again. Raises NotFound
        for an unknown user."""
        given = _normalised(code)
        with self._db.read() as session:
            _ensure_user(session, user_id)
            unused = session.execute(
                select(RecoveryCode.id, RecoveryCode.code_hash)
                .where(RecoveryCode.user_id == user_id, RecoveryCode.used.is_(None))
                .order_by(RecoveryCode.id)).all()
        if given is None:
            return False
        match = next((row.id for row in unused if self._matches(row.code_hash, given)), None)
        if match is None:
            return False
        with self._db.write() as session:
            result = session.execute(
                update(RecoveryCode)
                .where(RecoveryCode.id == match, RecoveryCode.used.is_(None))
                .values(used=now).execution_options(synchronize_session=False))
        return bool(result.rowcount)  # type: ignore[attr-defined]

    def remaining_recovery_codes(self, user_id: int) -> int:
        """How many of the user's codes are unused (0 for an unknown user or one without
        codes)."""
        with self._db.read() as session:
            return session.scalar(
                select(func.count()).select_from(RecoveryCode)
                .where(RecoveryCode.user_id == user_id, RecoveryCode.used.is_(None))) or 0

    def _matches(self, code_hash: str, code: str) -> bool:
        try:
            return self._hasher.verify(code_hash, code)
        except (VerificationError, InvalidHashError):
            return False
