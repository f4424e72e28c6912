"""People: user accounts (the ``User`` table) and their passwords."""

from strongroom.accounts.models import User
from strongroom.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    BreachedPasswords,
    PasswordPolicy,
)
from strongroom.accounts.service import AccountService, UserSummary, has_second_factor, user_named

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "AccountService",
    "BreachedPasswords",
    "PasswordPolicy",
    "User",
    "UserSummary",
    "has_second_factor",
    "user_named",
]
