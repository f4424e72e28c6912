"""Trusted publishing: CI workflows exchange an OIDC token from a trusted issuer (GitHub
Actions, GitLab CI, Google Cloud, or one an administrator names) for a 15-minute upload token,
with no secret stored anywhere.

``Issuers`` are the trusted issuers (issuers.py), ``HttpKeyFetcher`` fetches their keys
(keys.py, the ``KeyFetcher`` seam), ``TokenVerifier`` verifies a token (verify.py), claims.py
holds each kind of CI's rules for matching a token to a registered publisher.
``PublisherService`` registers publishers and pending ones (publishers.py; typed input read by
``parse_registration``), ``TrustedPublishing`` mints upload tokens (minting.py) with a
``ReplayGuard`` (replay.py), ``PublisherTokens`` is the upload's authenticator for minted and
API tokens alike (authenticator.py), and ``publisher_role`` the upload's access check's part.
Errors: a refused token request is a ``TokenRequestFailed`` with PyPI's error ``Code``.
"""

from strongroom.oidc.access import publisher_role
from strongroom.oidc.authenticator import PublisherTokens
from strongroom.oidc.claims import Registration
from strongroom.oidc.errors import Code, TokenRequestFailed
from strongroom.oidc.issuers import Issuer, Issuers, Provider
from strongroom.oidc.keys import HttpKeyFetcher, IssuerKeys, KeyFetcher, KeysUnavailable
from strongroom.oidc.minting import TOKEN_LIFETIME, MintedToken, TrustedPublishing
from strongroom.oidc.publishers import (
    PendingView,
    PublisherService,
    PublisherView,
    forget_pending_publishers,
)
from strongroom.oidc.registrations import PublisherInput, parse_registration
from strongroom.oidc.replay import (
    DatabaseReplayGuard,
    RedisReplayGuard,
    ReplayGuard,
    open_replay_guard,
)
from strongroom.oidc.verify import TokenVerifier, VerifiedToken

__all__ = ["TOKEN_LIFETIME", "Code", "DatabaseReplayGuard", "HttpKeyFetcher", "Issuer",
           "IssuerKeys", "Issuers", "KeyFetcher", "KeysUnavailable", "MintedToken",
           "PendingView", "Provider", "PublisherInput", "PublisherService", "PublisherTokens",
           "PublisherView", "RedisReplayGuard", "Registration", "ReplayGuard",
           "TokenRequestFailed", "TokenVerifier", "TrustedPublishing", "VerifiedToken",
           "forget_pending_publishers", "open_replay_guard", "parse_registration",
           "publisher_role"]
