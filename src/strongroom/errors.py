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
        ├── StorageUnavailable      the blob store could not keep the bytes
        └── TooManyAttempts         a rate limit was reached (HTTP 429)

HTTP statuses and exit codes are chosen only in ``web/`` and ``cli/``.

Errors carry the objects they are about, not only words: besides its ``message`` an error may
name the ``project``, the file (``filename``) and the caller (``principal``, a Principal of
strongroom.domain.principals) it concerns. The rule:

- The raise site sets each object the refusal is about, spelt as the message spells it, and
  writes the message in the words a user of a PyPI client knows (PyPI's own text, verbatim,
  where PyPI has one: twine users and their scripts read it). A token that does not verify
  names no principal: nobody was verified.
- ``web/`` and ``cli/`` turn an error into words: the message, then the objects it does not
  already name (``unnamed()``) that the reader did not give in the request itself (a web
  upload names its project and file in its own form; an import's table has a file column),
  and never a principal to a caller who is not authenticated.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class Named(Protocol):
    """What an error needs of the principal it concerns: its name, and words from ``str()``.
    (Principal itself lives in the domain layer, above this module.)"""

    @property
    def name(self) -> str: ...


class StrongroomError(Exception):
    """Root of every error Strongroom raises on purpose: ``message`` for a user, and the
    objects it is about (None where it is about none)."""

    def __init__(self, message: str, *, project: str | None = None,
                 filename: str | None = None, principal: Named | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.project = project
        self.filename = filename
        self.principal = principal

    def unnamed(self) -> list[str]:
        """Which of ``project``, ``filename`` and ``principal`` (in that order) are set but not
        named in the message (compared without case): what a boundary may add to its words."""
        text = self.message.casefold()
        named = {"project": self.project, "filename": self.filename,
                 "principal": self.principal.name if self.principal else None}
        return [key for key, value in named.items()
                if value is not None and value.casefold() not in text]


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

    def __init__(self, problems: list[Problem], *, project: str | None = None,
                 filename: str | None = None, principal: Named | None = None) -> None:
        super().__init__("; ".join(str(p) for p in problems), project=project,
                         filename=filename, principal=principal)
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


class TooManyAttempts(Unavailable):
    """Too many attempts (logins, codes, mails) in a while; ``retry_after`` seconds until the
    next may be made."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many attempts; try again in {retry_after} s")
        self.retry_after = retry_after
