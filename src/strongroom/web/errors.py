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
    Unavailable,
)

# First match wins: TooLarge before the InvalidInput it belongs to.
_STATUSES: list[tuple[type[StrongroomError], int]] = [
    (TooLarge, 413),
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
