"""The accounts package's public API, which web/ and cli/ build on: its names are pinned here so
that a change to them is deliberate."""

from __future__ import annotations

import strongroom.accounts

PUBLIC = [
    "AccountAdmin", "AccountDependent", "AccountService", "AddressView", "Addresses",
    "BreachedPasswords", "Client", "DeletedAccount", "DomainChecker", "DomainReport",
    "DomainResult", "DomainStatus", "DomainVerdict", "EmailDomainService", "FactorState",
    "KeyView", "Link", "Links", "Logins", "MAX_PASSWORD_LENGTH", "MIN_PASSWORD_LENGTH",
    "PasswordPolicy", "Purpose", "RecoveryCodeService", "RelyingParty", "Released",
    "SecondFactors", "SecondFactorsReset", "SecurityKeys",
    "SessionService", "SessionView", "TooManyUnreachable", "TotpEnrolment", "TotpService",
    "UntrustedResolver", "User", "UserSummary",
    "end_sessions_of", "has_second_factor", "second_factor_clause", "user_named",
]


def test_the_public_names_are_these() -> None:
    assert sorted(strongroom.accounts.__all__) == sorted(PUBLIC)
    assert all(hasattr(strongroom.accounts, name) for name in strongroom.accounts.__all__)
