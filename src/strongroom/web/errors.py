"""The one place where Strongroom's errors become HTTP statuses, and the words of the upload
API's refusals."""

from __future__ import annotations

from strongroom.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    StrongroomError,
    TooLarge,
    TooManyAttempts,
    Unavailable,
)

# First match wins: TooLarge before the InvalidInput it belongs to.
_STATUSES: list[tuple[type[StrongroomError], int]] = [
    (TooLarge, 413),
    (TooManyAttempts, 429),
    (InvalidInput, 400),
    (NotAuthenticated, 403),
    (Forbidden, 403),
    (NotFound, 404),
    (Conflict, 409),
    (Unavailable, 503),
]


def status_for(error: StrongroomError, *, upload: bool = False) -> int:
    """The HTTP status of an error. On the upload API a clash is a 400, as on PyPI (twine's
    --skip-existing reads "File already exists" from a 400)."""
    if upload and isinstance(error, Conflict):
        return 400
    return next((status for kind, status in _STATUSES if isinstance(error, kind)), 400)


def upload_words(error: StrongroomError) -> str:
    """The text of an upload's refusal, for its status line and body.

    The message comes first and whole (PyPI's own text where it has one: twine users, and
    twine's --skip-existing, read it), then the principal the refusal is about when the
    message does not name it, as ``(user 'alice')``. The project and file are not added: the
    client named both in its own request. A caller that is not authenticated is told no
    account's name, even one its token carries.
    """
    if "principal" not in error.unnamed() or isinstance(error, NotAuthenticated):
        return error.message
    return f"{error.message} ({error.principal})"
