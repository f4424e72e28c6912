"""People: user accounts (the ``User`` table), their passwords and their second factors (TOTP,
recovery codes)."""

from strongroom.accounts.models import User
from strongroom.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    BreachedPasswords,
    PasswordPolicy,
)
from strongroom.accounts.recovery import RecoveryCodeService
from strongroom.accounts.service import AccountService, UserSummary, has_second_factor, user_named
from strongroom.accounts.totp import TotpEnrolment, TotpService

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "AccountService",
    "BreachedPasswords",
    "PasswordPolicy",
    "RecoveryCodeService",
    "TotpEnrolment",
    "TotpService",
    "User",
    "UserSummary",
    "has_second_factor",
    "user_named",
]
