"""How the command line words Strongroom's errors: the message, then the objects the error is
about (errors.py) that the message does not name and the command's user did not give."""

from __future__ import annotations

from collections.abc import Collection

from strongroom.errors import StrongroomError


def about(error: StrongroomError, *, given: Collection[str] = ()) -> str:
    """The objects ``error`` concerns that its message leaves unnamed, less those in ``given``
    (of "project", "filename", "principal": what the command's own arguments or output show),
    as `` (project 'demo', file 'demo-1.0.tar.gz', admin 'alice')``; empty when none."""
    words = {
        "project": f"project {error.project!r}",
        "filename": f"file {error.filename!r}",
        "principal": str(error.principal),
    }
    unnamed = [words[key] for key in error.unnamed() if key not in given]
    return f" ({', '.join(unnamed)})" if unnamed else ""


def describe(error: StrongroomError, *, given: Collection[str] = ()) -> str:
    """The message of ``error`` with ``about`` it."""
    return error.message + about(error, given=given)
