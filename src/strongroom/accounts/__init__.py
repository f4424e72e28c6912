"""People: user accounts, their e-mail addresses, passwords, second factors (TOTP, security
keys, recovery codes) and web sessions."""

from strongroom.accounts.addresses import Addresses, AddressView
from strongroom.accounts.admin import (
    AccountAdmin,
    AccountDependent,
    DeletedAccount,
    Released,
    SecondFactorsReset,
)
from strongroom.accounts.clients import Client
from strongroom.accounts.domains import (
    DomainChecker,
    DomainStatus,
    DomainVerdict,
    UntrustedResolver,
)
from strongroom.accounts.emails import (
    DomainReport,
    DomainResult,
    EmailDomainService,
    TooManyUnreachable,
)
from strongroom.accounts.factors import FactorState, SecondFactors
from strongroom.accounts.keys import KeyView, RelyingParty, SecurityKeys
from strongroom.accounts.links import Link, Links, Purpose
from strongroom.accounts.logins import Logins
from strongroom.accounts.models import User
from strongroom.accounts.passwords import (
    MAX_PASSWORD_LENGTH,
    MIN_PASSWORD_LENGTH,
    BreachedPasswords,
    PasswordPolicy,
)
from strongroom.accounts.recovery import RecoveryCodeService
from strongroom.accounts.service import (
    AccountService,
    UserSummary,
    has_second_factor,
    second_factor_clause,
    user_named,
)
from strongroom.accounts.sessions import SessionService, SessionView, end_sessions_of
from strongroom.accounts.totp import TotpEnrolment, TotpService

__all__ = [
    "MAX_PASSWORD_LENGTH",
    "MIN_PASSWORD_LENGTH",
    "AccountAdmin",
    "AccountDependent",
    "AccountService",
    "AddressView",
    "Addresses",
    "BreachedPasswords",
    "Client",
    "DeletedAccount",
    "DomainChecker",
    "DomainReport",
    "DomainResult",
    "DomainStatus",
    "DomainVerdict",
    "EmailDomainService",
    "FactorState",
    "KeyView",
    "Link",
    "Links",
    "Logins",
    "PasswordPolicy",
    "Purpose",
    "RecoveryCodeService",
    "Released",
    "RelyingParty",
    "SecondFactors",
    "SecondFactorsReset",
    "SecurityKeys",
    "SessionService",
    "SessionView",
    "TooManyUnreachable",
    "TotpEnrolment",
    "TotpService",
    "UntrustedResolver",
    "User",
    "UserSummary",
    "end_sessions_of",
    "has_second_factor",
    "second_factor_clause",
    "user_named",
]
