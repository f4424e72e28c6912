"""API tokens: macaroons with caveats (expiry, projects, user), verified against a stored key;
the API token authenticator."""

from strongroom.tokens.service import TOKEN_PREFIX, TokenService

__all__ = ["TOKEN_PREFIX", "TokenService"]
