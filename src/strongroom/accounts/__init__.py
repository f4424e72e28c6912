"""People: user accounts (the ``User`` table) and their passwords."""

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
from strongroom.accounts.service import AccountService, UserSummary, user_named

__all__ = ["AccountAdmin", "AccountDependent", "AccountService", "DeletedAccount",
           "DomainChecker", "DomainReport", "DomainResult", "DomainStatus", "DomainVerdict",
           "EmailDomainService", "Released", "SecondFactorsReset", "User", "UserSummary",
           "user_named"]
