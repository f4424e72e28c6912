"""The accounts package's public API, which web/ and cli/ build on: its names are pinned here so
that a change to them is deliberate."""

from __future__ import annotations

import strongroom.accounts


def test_the_public_names_are_these() -> None:
    assert sorted(strongroom.accounts.__all__) == [
        "AccountService", "BreachedPasswords", "MAX_PASSWORD_LENGTH", "MIN_PASSWORD_LENGTH",
        "PasswordPolicy", "RecoveryCodeService", "TotpEnrolment", "TotpService", "User",
        "UserSummary", "has_second_factor", "user_named"]
    assert all(hasattr(strongroom.accounts, name) for name in strongroom.accounts.__all__)
