"""People: user accounts (the ``User`` table), their passwords and their second factors (TOTP,
recovery codes)."""

from strongroom.accounts.admin import (
    AccountAdmin,
    AccountDependent,
    DeletedAccount,
    Released,
    SecondFactorsReset,
)
from strongroom.accounts.domains import DomainChecker, DomainStatus, DomainVerdict
from strongroom.accounts.emails import DomainReport, DomainResult, EmailDomainService
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
    "AccountAdmin",
    "AccountDependent",
    "AccountService",
    "BreachedPasswords",
    "DeletedAccount",
    "DomainChecker",
    "DomainReport",
    "DomainResult",
    "DomainStatus",
    "DomainVerdict",
    "EmailDomainService",
    "PasswordPolicy",
    "RecoveryCodeService",
    "Released",
    "SecondFactorsReset",
    "TotpEnrolment",
    "TotpService",
    "User",
    "UserSummary",
    "has_second_factor",
    "user_named",
]
