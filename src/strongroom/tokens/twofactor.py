"""The two-factor policy (``two_factor_required``, config.TwoFactorRequired) as it applies to
API tokens.

A token the policy covers (``TwoFactorRequired.covers_token``: under ``uploaders`` every upload
token, under ``everyone`` every token) is made only for a user who has a second factor, unless
an administrator overrides that on the command line (recorded in the token's ``token.created``
event). Each token records whether its user had one when it was made (``made_with_2fa``). At
use, a covered token made without one is refused for as long as its user still has none: the
refusal says where to set one up and where to make a new token. A token made with a second
factor stays good if its user later removes theirs: it was made under that protection.

Under ``critical`` no token is refused when it is made; an upload to a critical project is
refused, whatever the token, while its user has no second factor once the project's grace
(``critical_grace`` days from when it became critical) is over.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from strongroom.config import TwoFactorRequired
from strongroom.domain.principals import Principal
from strongroom.errors import Forbidden

TOTP_PAGE = "/account/totp"
TOKENS_PAGE = "/account/tokens"


class SecondFactorRequired(Forbidden):
    """A token the policy covers was asked for by, or for, a user without a second factor."""


@dataclass(frozen=True)
class TokenPolicy:
    """The policy, and the index's public base URL its refusals point to (no trailing
    slash; "" words them with paths alone)."""

    required: TwoFactorRequired = TwoFactorRequired.NOBODY
    base_url: str = ""
    grace: dt.timedelta = dt.timedelta(days=30)

    def critical_refusal(self, project: str, principal: Principal, *, critical_since: dt.datetime,
                         now: dt.datetime) -> SecondFactorRequired | None:
        """Under ``critical``, why an upload to ``project`` (critical since
        ``critical_since``) by a user without a second factor is refused; None while the
        grace lasts, or under another policy."""
        if self.required is not TwoFactorRequired.CRITICAL or now < critical_since + self.grace:
            return None
        return SecondFactorRequired(
            f"project {project!r} is a critical project, whose maintainers must use "
            f"two-factor authentication (two_factor_required = {self.required}), and user "
            f"{principal.name!r} has none: {self._what_to_do()}",
            project=project, principal=principal)

    def covers(self, *, read_only: bool) -> bool:
        """Whether a token of this kind needs its user to have a second factor."""
        return self.required.covers_token(read_only=read_only)

    def _what_to_do(self) -> str:
        return (f"set up two-factor authentication at {self.base_url}{TOTP_PAGE}, then create "
                f"a new token at {self.base_url}{TOKENS_PAGE}")

    def refuse_creation(self, username: str, *, read_only: bool) -> SecondFactorRequired:
        """Why ``username``, who has no second factor, gets no token of this kind."""
        kind = "a read-only token" if read_only else "an upload token"
        return SecondFactorRequired(
            f"this index requires two-factor authentication to create {kind} "
            f"(two_factor_required = {self.required}), and user {username!r} has none: "
            f"set up two-factor authentication at {self.base_url}{TOTP_PAGE} first")

    def refuse_use(self, project: str, principal: Principal) -> SecondFactorRequired:
        """Why a covered token made without a second factor, whose user still has none, is
        refused."""
        return SecondFactorRequired(
            "The given token was made without two-factor authentication, which this index "
            f"requires (two_factor_required = {self.required}), and user {principal.name!r} "
            f"still has none: "
            f"{self._what_to_do()}", project=project or None, principal=principal)
