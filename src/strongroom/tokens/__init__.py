"""API tokens: macaroons with caveats (expiry, projects, user), verified against a stored key
(the ``Token`` table); the API token authenticator; the two-factor policy as tokens meet it.
``parse_token`` and ``caveats`` serve the tokens minted for trusted publishers too
(strongroom.oidc), which take the same form."""

from strongroom.tokens import caveats
from strongroom.tokens.models import Token
from strongroom.tokens.service import (
    TOKEN_PREFIX,
    TokenService,
    TokenSummary,
    forget_tokens,
    parse_token,
    signature_ok,
)
from strongroom.tokens.twofactor import SecondFactorRequired, TokenPolicy

__all__ = ["TOKEN_PREFIX", "SecondFactorRequired", "Token", "TokenPolicy", "TokenService",
           "TokenSummary", "caveats", "forget_tokens", "parse_token",
           "signature_ok"]
