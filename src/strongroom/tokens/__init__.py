"""API tokens: macaroons with caveats (expiry, projects, user), verified against a stored key
(the ``Token`` table); the API token authenticator; the two-factor policy as tokens meet it."""

from strongroom.tokens.models import Token
from strongroom.tokens.service import TOKEN_PREFIX, TokenService, TokenSummary, forget_tokens
from strongroom.tokens.twofactor import SecondFactorRequired, TokenPolicy

__all__ = ["TOKEN_PREFIX", "SecondFactorRequired", "Token", "TokenPolicy", "TokenService",
           "TokenSummary", "forget_tokens"]
