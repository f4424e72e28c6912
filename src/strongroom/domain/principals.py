"""Who is acting: the one identity every step that checks a right receives.

Authenticators (an API token today; a web session and an OIDC trusted publisher later) turn a
request's credentials into a ``Principal``. The upload steps, the read-access hook and the
journal receive it and nothing else, so a new kind of caller needs a new authenticator, not
new parameters everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class PrincipalKind(Enum):
    USER = "user"  # a person's account, through one of their API tokens
    ADMIN = "admin"  # an administrator acting on this machine (strongroom admin ...)
    PUBLISHER = "publisher"  # a trusted publisher (a CI workflow), later


@dataclass(frozen=True)
class Principal:
    """A verified caller. ``user_id`` and ``name`` are the account's for users and for admins
    acting as a user; ``token_id`` names the credential used, when there was one."""

    kind: PrincipalKind
    name: str
    user_id: int | None = None
    token_id: str | None = None

    def __str__(self) -> str:
        return f"{self.kind.value} {self.name!r}"


@dataclass(frozen=True)
class Credentials:
    """What a request presented, before anyone checked it: the password of HTTP Basic
    authentication (where twine and pip put an API token), or nothing."""

    secret: str | None = None

    @property
    def present(self) -> bool:
        return bool(self.secret)
