"""API tokens: macaroons with caveats (expiry, projects, user), verified against a stored key
(the ``Token`` table)."""

from strongroom.tokens.models import Token
from strongroom.tokens.service import TOKEN_PREFIX, Identity, TokenService

__all__ = ["TOKEN_PREFIX", "Identity", "Token", "TokenService"]
