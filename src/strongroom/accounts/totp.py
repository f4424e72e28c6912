"""TOTP second factor (RFC 6238 through pyotp): SHA-1, 6 digits, 30-second steps, a code of the
step before or after also accepted, and no step's code accepted twice.

Enrolment is two calls: ``enrol_totp`` makes a secret and its provisioning URI (shown as a QR
code) and stores nothing; ``confirm_totp`` stores the secret once the user's app has produced a
valid code from it. The last step whose code was accepted is kept in ``users.totp_last_step``
and only ever raised by a conditional UPDATE, so two requests carrying one code cannot both
pass, whichever database and however many processes. Codes and secrets are never logged.
ORM sessions for reads, one Core UPDATE per change.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hmac
from dataclasses import dataclass, field

import pyotp
from sqlalchemy import or_, update

from strongroom.accounts.models import User
from strongroom.db.engine import Database
from strongroom.errors import Conflict, InvalidInput, NotFound

DIGITS = 6
STEP_SECONDS = 30
WINDOW = 1  # steps either side of now whose codes are accepted (clock drift, slow typing)
_SECRET_LENGTH = 32  # base32 characters: 160 bits, as RFC 4226 recommends for HMAC-SHA-1


@dataclass(frozen=True)
class TotpEnrolment:
    """A new TOTP secret for the user to add to an authenticator app: ``secret`` in base32 (to
    type in) and ``uri``, the otpauth:// URI to show as a QR code. Both are secrets, kept out
    of ``repr`` so that they do not reach logs."""

    secret: str = field(repr=False)
    uri: str = field(repr=False)


def _normalised(code: str) -> str | None:
    """The code without spaces (apps show "123 456"), or None unless it is DIGITS digits."""
    code = "".join(code.split())
    return code if len(code) == DIGITS and code.isascii() and code.isdigit() else None


class TotpService:
    """Users' TOTP: enrol, confirm, verify and remove. ``issuer`` names the index in
    authenticator apps."""

    def __init__(self, db: Database, *, issuer: str = "Strongroom") -> None:
        self._db = db
        self._issuer = issuer

    def _user(self, user_id: int) -> User:
        with self._db.read() as session:
            user = session.get(User, user_id)
        if user is None:
            raise NotFound(f"no user with id {user_id}")
        return user

    def enrol_totp(self, user_id: int, *, secret: str | None = None) -> TotpEnrolment:
        """A fresh 160-bit secret and its provisioning URI (account name: the username);
        nothing is stored until ``confirm_totp``. Given a well-formed ``secret`` (one shown
        before, whose confirmation failed), that secret again. Raises NotFound for an unknown
        user and Conflict when the user already has TOTP (remove it first)."""
        user = self._user(user_id)
        if user.totp_secret is not None:
            raise Conflict("TOTP is already set up for this account; remove it to set it up "
                           "again")
        if secret is None or len(secret) != _SECRET_LENGTH or not _is_base32(secret):
            secret = pyotp.random_base32(_SECRET_LENGTH)
        uri = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
            name=user.username, issuer_name=self._issuer)
        return TotpEnrolment(secret, uri)

    def confirm_totp(self, user_id: int, secret: str, code: str, *, now: dt.datetime) -> None:
        """Store ``secret`` (from ``enrol_totp``) once ``code`` is its valid code at ``now``
        (an aware datetime); that code's step counts as used.

        Raises InvalidInput ("code: ..."; "secret: ..." for a secret that is not 32 base32
        characters), NotFound for an unknown user, Conflict when TOTP is already set up.
        """
        if len(secret) != _SECRET_LENGTH or not _is_base32(secret):
            raise InvalidInput(f"secret: not a TOTP secret of {_SECRET_LENGTH} base32 characters")
        if self._user(user_id).totp_secret is not None:
            raise Conflict("TOTP is already set up for this account")
        step = _matching_step(secret, code, now, after=None)
        if step is None:
            raise InvalidInput("code: does not match; type the code your app shows now, and "
                               "check that the device's clock is right")
        with self._db.write_connection() as connection:
            result = connection.execute(
                update(User).where(User.id == user_id, User.totp_secret.is_(None))
                .values(totp_secret=secret, totp_last_step=step))
        if result.rowcount != 1:
            raise Conflict("TOTP was set up for this account by another request meanwhile")

    def verify_totp(self, user_id: int, code: str, *, now: dt.datetime) -> bool:
        """Whether ``code`` is the user's TOTP code at ``now`` (an aware datetime) or one step
        either side, for a step later than any accepted before; accepting it uses that step up.
        False for a malformed code and for a user without TOTP; NotFound for an unknown user.
        """
        user = self._user(user_id)
        if user.totp_secret is None:
            return False
        step = _matching_step(user.totp_secret, code, now, after=user.totp_last_step)
        if step is None:
            return False
        with self._db.write_connection() as connection:
            result = connection.execute(
                update(User)
                .where(User.id == user_id, User.totp_secret == user.totp_secret,
                       or_(User.totp_last_step.is_(None), User.totp_last_step < step))
                .values(totp_last_step=step))
        return result.rowcount == 1

    def remove_totp(self, user_id: int) -> None:
        """Forget the user's TOTP secret and last accepted step (idempotent); recovery codes
        are left alone. Raises NotFound for an unknown user."""
        with self._db.write_connection() as connection:
            result = connection.execute(
                update(User).where(User.id == user_id)
                .values(totp_secret=None, totp_last_step=None))
        if result.rowcount != 1:
            raise NotFound(f"no user with id {user_id}")


def _is_base32(secret: str) -> bool:
    try:
        base64.b32decode(secret, casefold=False)
    except (binascii.Error, ValueError):
        return False
    return True


def _matching_step(secret: str, code: str, now: dt.datetime, *, after: int | None) -> int | None:
    """The earliest time step within WINDOW of ``now`` and later than ``after`` whose code is
    ``code``, or None. Every candidate is compared, in constant time, whatever matches."""
    if now.tzinfo is None:  # pyotp would read it as local time
        raise ValueError("now must be an aware datetime")
    given = _normalised(code)
    if given is None:
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = totp.timecode(now)
    matches = [step for step in range(current - WINDOW, current + WINDOW + 1)
               if hmac.compare_digest(totp.generate_otp(step), given)]
    fresh = [step for step in matches if after is None or step > after]
    return fresh[0] if fresh else None
