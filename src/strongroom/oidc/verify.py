"""Verifying an OIDC token (a JWT) from a trusted issuer, with PyJWT.

The unverified ``iss`` picks the issuer, which must be trusted; the token's ``kid`` picks one of
its keys (keys.py) and its ``alg`` must be one the issuer declares and this index accepts
(asymmetric signatures only: never ``none``, never HMAC, whose "secret" an attacker would take
from the issuer's public key). Then PyJWT checks the signature and the claims: ``iss``,
``iat``, ``exp`` and ``aud`` are required, ``aud`` must be exactly this index's audience (a
single value, not a list), ``nbf`` is checked when present, all with 30 seconds of leeway.
GitHub, GitLab and other issuers' tokens must carry a ``jti``; Google's carry none, so a
Google token is known by its own digest instead (the replay key says which).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jwt
from jwt import PyJWK
from jwt.exceptions import (
    ExpiredSignatureError,
    ImmatureSignatureError,
    InvalidAudienceError,
    InvalidSignatureError,
    MissingRequiredClaimError,
    PyJWKError,
    PyJWTError,
)

from strongroom.oidc.errors import Code, TokenRequestFailed
from strongroom.oidc.issuers import Issuer, Issuers, Provider
from strongroom.oidc.keys import KeyFetcher, KeysUnavailable

ACCEPTED_ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
                                 "ES256", "ES384", "ES512"})
LEEWAY = dt.timedelta(seconds=30)
MAX_TOKEN_LENGTH = 16 * 1024  # CI providers' tokens are 1-3 KiB
MAX_JTI_LENGTH = 256
_REQUIRED = ["iss", "iat", "exp", "aud"]


@dataclass(frozen=True)
class VerifiedToken:
    """A token whose signature and standard claims verified: its issuer, every claim, the key
    that makes it single use (``replay_key``, hex) and when it expires (UTC)."""

    issuer: Issuer
    claims: Mapping[str, Any]
    replay_key: str
    expires: dt.datetime


def _invalid(description: str) -> TokenRequestFailed:
    return TokenRequestFailed(Code.INVALID_TOKEN, description)


class TokenVerifier:
    """Verifies tokens of the ``issuers`` for ``audience``, with keys from ``fetcher``."""

    def __init__(self, issuers: Issuers, fetcher: KeyFetcher, *, audience: str) -> None:
        self._issuers = issuers
        self._fetcher = fetcher
        self.audience = audience

    def verify(self, raw: str) -> VerifiedToken:
        """The verified token ``raw``, at the current time. Raises TokenRequestFailed:
        ``invalid-payload`` for what is no JWT or comes from an untrusted issuer,
        ``invalid-token`` for one that does not verify (its description says why)."""
        if len(raw) > MAX_TOKEN_LENGTH:
            raise _invalid(f"the token is longer than {MAX_TOKEN_LENGTH} characters")
        try:
            header = jwt.get_unverified_header(raw)
            unverified = jwt.decode(raw, options={"verify_signature": False})
        except PyJWTError as exc:
            raise TokenRequestFailed(Code.INVALID_PAYLOAD, "malformed JWT") from exc
        iss = unverified.get("iss")
        issuer = self._issuers.find(iss) if isinstance(iss, str) else None
        if issuer is None:
            raise TokenRequestFailed(Code.INVALID_PAYLOAD, "unknown trusted publishing issuer")
        key = self._key(issuer, header)
        try:
            claims = jwt.decode(raw, key, algorithms=[key.algorithm_name],
                                audience=self.audience, issuer=issuer.url,
                                leeway=LEEWAY, options={"require": _REQUIRED,
                                                        "strict_aud": True})
        except ExpiredSignatureError as exc:
            raise _invalid("the token has expired") from exc
        except ImmatureSignatureError as exc:
            raise _invalid("the token is not valid yet (iat or nbf in the future)") from exc
        except InvalidAudienceError as exc:
            raise _invalid(f"the token's audience (aud) is not this index's, "
                           f"{self.audience!r}") from exc
        except MissingRequiredClaimError as exc:
            raise _invalid(f"the token has no {exc.claim} claim") from exc
        except InvalidSignatureError as exc:
            raise _invalid("the token's signature does not verify") from exc
        except PyJWTError as exc:
            raise _invalid(f"malformed or invalid token ({exc})") from exc
        return VerifiedToken(issuer, claims, _replay_key(issuer, claims, raw),
                             dt.datetime.fromtimestamp(claims["exp"], dt.UTC))

    def _key(self, issuer: Issuer, header: Mapping[str, Any]) -> PyJWK:
        """The issuer's key that the token's header names, for the algorithm it names."""
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ACCEPTED_ALGORITHMS:
            raise _invalid(f"the signing algorithm {alg!r} is not accepted (only "
                           f"{', '.join(sorted(ACCEPTED_ALGORITHMS))})")
        if not isinstance(kid, str):
            raise _invalid("the token names no signing key (kid)")
        try:
            keys = self._fetcher.keys(issuer.url)
            if kid not in keys.keys:
                keys = self._fetcher.keys(issuer.url, refresh=True)
        except KeysUnavailable as exc:
            raise _invalid(f"could not fetch the issuer's keys: {exc.message}") from exc
        if alg not in keys.algorithms:
            raise _invalid(f"the issuer does not sign with {alg}")
        jwk = keys.keys.get(kid)
        if jwk is None:
            raise _invalid(f"the issuer has no key {kid[:80]!r}")
        if jwk.get("alg", alg) != alg:
            raise _invalid(f"the key {kid[:80]!r} is not for {alg}")
        try:
            return PyJWK(dict(jwk), algorithm=alg)
        except PyJWKError as exc:
            raise _invalid(f"the key {kid[:80]!r} is not for {alg}") from exc


def _replay_key(issuer: Issuer, claims: Mapping[str, Any], raw: str) -> str:
    """What makes the token single use: its ``jti``, required of every issuer but Google's,
    else (Google's tokens have none) the token itself."""
    jti = claims.get("jti")
    if jti is None and issuer.provider is not Provider.GOOGLE:
        raise _invalid("the token has no jti claim")
    if jti is not None and (not isinstance(jti, str) or not 0 < len(jti) <= MAX_JTI_LENGTH):
        raise _invalid(f"the token's jti is not a string of 1 to {MAX_JTI_LENGTH} characters")
    unique = f"jti:{jti}" if jti is not None else f"token:{raw}"
    return hashlib.sha256(f"{issuer.url}\n{unique}".encode()).hexdigest()
