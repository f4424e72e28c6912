"""Who is acting: the one identity every step that checks a right receives.

Authenticators (an API token today; a web session and an OIDC trusted publisher later) turn a
request's credentials into a ``Principal``. The upload steps, the read-access hook and the
journal receive it and nothing else, so a new kind of caller needs a new authenticator, not
new parameters everywhere.

An ``Authenticator`` is one way of verifying credentials (``TokenService`` in strongroom.tokens
is today's only one). More are combined by an authenticator of the same protocol that picks
one by the credentials' form, or tries them in order, so the upload steps never change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum
from typing import Protocol, TypeVar

# What a request does with a project, for authenticators that grant one and not the other.
UPLOAD = "upload"
READ = "read"


class PrincipalKind(Enum):
    USER = "user"  # a person's account, through one of their API tokens or a web session
    ADMIN = "admin"  # an administrator acting on this machine (strongroom admin ...)
    PUBLISHER = "publisher"  # a trusted publisher: a CI workflow, through a minted token


@dataclass(frozen=True)
class PublisherIdentity:
    """The CI identity a trusted publisher stands for, in the terms of PEP 740's publisher
    object: ``kind`` is ``GitHub``, ``GitLab``, ``Google`` or the name an administrator gave
    another issuer. ``repository`` is ``owner/name`` (GitHub) or ``namespace/project``
    (GitLab); ``workflow`` the workflow's file name (GitHub) or the CI file's path (GitLab);
    ``environment`` the deployment environment it is pinned to ("" for none); ``email`` a
    Google service account's; ``issuer`` the OIDC issuer's URL."""

    kind: str
    issuer: str
    repository: str = ""
    workflow: str = ""
    environment: str = ""
    email: str = ""


@dataclass(frozen=True)
class Principal:
    """A verified caller. ``user_id`` and ``name`` are the account's for users and for admins
    acting as a user; ``token_id`` names the credential used, when there was one. A trusted
    publisher's principal has no account: ``publisher_id`` is its registration's id and
    ``publisher`` the identity its token was minted for."""

    kind: PrincipalKind
    name: str
    user_id: int | None = None
    token_id: str | None = None
    publisher_id: int | None = None
    publisher: PublisherIdentity | None = None

    def __str__(self) -> str:
        return f"{self.kind.value} {self.name!r}"


@dataclass(frozen=True)
class Credentials:
    """What a request presented, before anyone checked it: the password of HTTP Basic
    authentication (where twine and pip put an API token), the secret of a web session's
    cookie (a signed-in browser reading a private index), or nothing."""

    secret: str | None = None
    session: str | None = None

    @property
    def present(self) -> bool:
        return bool(self.secret or self.session)


_Reading_contra = TypeVar("_Reading_contra", contravariant=True)


class Authenticator(Protocol[_Reading_contra]):
    """Verifies a request's credentials. ``_Reading_contra`` is the read transaction of the caller
    that an authenticator with rows of its own may read them in (a SQLAlchemy Connection for
    the token one), so that a request's checks see one snapshot."""

    def authenticate(self, credentials: Credentials, *, project: str, now: dt.datetime,
                     reading: _Reading_contra | None = None, action: str = UPLOAD
                     ) -> Principal:
        """The Principal the credentials speak for, when doing ``action`` (UPLOAD or READ) on
        the normalised ``project`` ("" for the list of every project) at ``now``; they are read
        in ``reading`` when given, else in a transaction of the authenticator's own.

        Raises NotAuthenticated (carrying ``project``, and the principal only when the
        credentials are genuine, e.g. an expired token's) when they are absent, not of this
        authenticator's form, malformed, unknown, forged or expired, and Forbidden (carrying
        ``project`` and the principal) when they are genuine but do not reach ``project``.
        """
        ...
