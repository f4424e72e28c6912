"""API tokens: macaroons with caveats (expiry, projects, user), verified against a stored key
(the ``Token`` table); the API token authenticator."""

from strongroom.tokens.models import Token
from strongroom.tokens.service import TOKEN_PREFIX, TokenService, TokenSummary, forget_tokens

__all__ = ["TOKEN_PREFIX", "Token", "TokenService", "TokenSummary", "forget_tokens"]
