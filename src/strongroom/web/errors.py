"""The one place where Strongroom's errors become HTTP statuses."""

from __future__ import annotations

from strongroom.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    StrongroomError,
    TooLarge,
)


def status_for(error: StrongroomError, *, upload: bool = False) -> int:
    """The HTTP status of an error. On the upload API a clash is a 400, as on PyPI (twine's
    --skip-existing reads "File already exists" from a 400)."""
    if isinstance(error, TooLarge):
        return 413
    if isinstance(error, InvalidInput):
        return 400
    if isinstance(error, NotAuthenticated | Forbidden):
        return 403
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Conflict):
        return 400 if upload else 409
    return 400
