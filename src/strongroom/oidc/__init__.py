"""Trusted publishing: CI workflows exchange an OIDC token from a trusted issuer (GitHub
Actions, GitLab CI, Google Cloud, or one an administrator names) for a short-lived upload token,
with no secret stored anywhere.

``Issuers`` are the trusted issuers (issuers.py), ``HttpKeyFetcher`` fetches their keys
(keys.py, the ``KeyFetcher`` seam), ``TokenVerifier`` verifies a token (verify.py) and
claims.py holds each kind of CI's rules for matching a token to a registered publisher.
Errors: a refused token request is a ``TokenRequestFailed`` with PyPI's error ``Code``.
"""

from strongroom.oidc.claims import Registration
from strongroom.oidc.errors import Code, TokenRequestFailed
from strongroom.oidc.issuers import Issuer, Issuers, Provider
from strongroom.oidc.keys import HttpKeyFetcher, IssuerKeys, KeyFetcher, KeysUnavailable
from strongroom.oidc.verify import TokenVerifier, VerifiedToken

__all__ = ["Code", "HttpKeyFetcher", "Issuer", "IssuerKeys", "Issuers", "KeyFetcher",
           "KeysUnavailable", "Provider", "Registration", "TokenRequestFailed",
           "TokenVerifier", "VerifiedToken"]
