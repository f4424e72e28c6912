"""Who may read what: the read-access hook every read passes before any cache answers it.

The web layer's one answer builder asks the index's ``ReadAccess`` about each read before it
looks at a cached page or file, so a page kept warm for one caller is never sent to another
the policy refuses. Policies are small objects: public (the default, which refuses nobody), and
later private indexes, quarantined projects and draft releases.
"""

from __future__ import annotations

from enum import Enum
from typing import Protocol

from strongroom.domain.principals import Principal


class Refusal(Enum):
    """Why a read is refused; the web layer turns each into its answer."""

    UNAUTHENTICATED = "unauthenticated"  # no usable credentials: ask for them (401)
    FORBIDDEN = "forbidden"  # known caller without the right (403)
    HIDDEN = "hidden"  # as if it did not exist (404): quarantine, drafts


class Caller(Protocol):
    """The reader of one request. Credentials are verified only when a policy asks who it is,
    so a public index never authenticates a read."""

    def principal(self) -> Principal | None:
        """The verified caller, or None when the request carried no credentials. Raises
        NotAuthenticated for credentials that do not verify, Forbidden for credentials that
        may not read, and TooManyAttempts when the caller's address has failed too often to
        have credentials verified now; a policy lets each pass."""


class ReadAccess(Protocol):
    """Decides whether ``caller`` may read ``project`` (None: the list of all projects)."""

    def refusal(self, project: str | None, caller: Caller) -> Refusal | None:
        """None to allow the read, else why it is refused."""


class Public:
    """Every read is allowed: the index of a public index, and the default."""

    def refusal(self, project: str | None, caller: Caller) -> Refusal | None:
        return None


PUBLIC = Public()


class SignedIn:
    """A private index: every read needs credentials that verify (an API token, of any
    action, that reaches the project read; the list of all projects needs an account-wide
    one)."""

    def refusal(self, project: str | None, caller: Caller) -> Refusal | None:
        return Refusal.UNAUTHENTICATED if caller.principal() is None else None


SIGNED_IN = SignedIn()
