"""The root exception and the small tree under it.

    StrongroomError                 anything Strongroom refuses, with a message fit for a user
    ├── InvalidInput                the client sent something malformed (HTTP 400, exit 2)
    │   ├── UploadRejected          an upload failed validation; carries every Problem found
    │   └── TooLarge                a request body over its limit (HTTP 413)
    ├── NotAuthenticated            no usable credentials (HTTP 403 as PyPI does, exit 3)
    ├── Forbidden                   credentials fine, action not allowed (HTTP 403, exit 3)
    ├── NotFound                    the named thing does not exist (HTTP 404, exit 4)
    ├── Conflict                    the request clashes with existing state (HTTP 409/400, exit 5)
    └── Unavailable                 the index cannot do this now; try again (HTTP 503, exit 6)
        └── StorageUnavailable      the blob store could not keep the bytes

HTTP statuses and exit codes are chosen only in ``web/`` and ``cli/``.
"""

from __future__ import annotations

from dataclasses import dataclass


class StrongroomError(Exception):
    """Root of every error Strongroom raises on purpose."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInput(StrongroomError):
    """The client sent something malformed."""


@dataclass(frozen=True)
class Problem:
    """One validation failure: which field or part, what is wrong with it, and the name of the
    rule it breaks (domain/rules.py; empty for failures outside a distribution's checks)."""

    field: str
    reason: str
    rule: str = ""

    def __str__(self) -> str:
        return f"{self.field}: {self.reason}" if self.field else self.reason


class UploadRejected(InvalidInput):
    """An upload failed validation; ``problems`` lists every failure found, in order."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("; ".join(str(p) for p in problems))
        self.problems = problems


class TooLarge(InvalidInput):
    """A request body larger than the server accepts."""


class NotAuthenticated(StrongroomError):
    """No credentials, or credentials that do not verify."""


class Forbidden(StrongroomError):
    """The caller is known but may not do this."""


class NotFound(StrongroomError):
    """The named project, release, file, user or token does not exist."""


class Conflict(StrongroomError):
    """The request clashes with what already exists (a used name, a second sdist ...)."""


class Unavailable(StrongroomError):
    """The index cannot do this now (busy, or a part it needs is down); the same request may
    succeed later."""


class StorageUnavailable(Unavailable):
    """The blob store could not keep the bytes: a full or failing disk, an unreachable bucket."""
