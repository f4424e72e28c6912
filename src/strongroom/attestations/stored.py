"""Writing a file's provenance in its upload's transaction, and flagging how it compares with
the release before.

The comparison, for every new file: the release uploaded before the file's own (the caller
finds it: the upload owns the releases) had provenance from some publishers; the new file is
``lost`` when it has none, ``changed`` when its publisher is none of them. A previous release
without provenance, or no previous release, flags nothing. A flagged file is recorded in the
security history (``provenance.lost`` / ``provenance.changed``) in the same transaction, and
the caller mails the project's owners about the first file of a release so flagged.

Writes are prepared Core statements (db/statements.py) on the upload's connection, as the rest
of its record step. The read side reads the table itself (index/views.py), joined to its files.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import Connection, bindparam, exists, select

from strongroom.attestations.models import FileProvenance
from strongroom.attestations.provenance import VerifiedProvenance
from strongroom.db.statements import Prepared, execute, insert_values, scalar
from strongroom.domain.principals import Principal
from strongroom.history import EventKind, History


class Change(StrEnum):
    """How a file's provenance breaks with the release before its own."""

    LOST = "lost"  # it has none, where the release before had some
    CHANGED = "changed"  # its publisher is none of the release before's


_EVENTS = {Change.LOST: EventKind.PROVENANCE_LOST, Change.CHANGED: EventKind.PROVENANCE_CHANGED}


@dataclass(frozen=True)
class PreviousRelease:
    """The release uploaded before a file's own: its version, and the publishers (as
    ``VerifiedProvenance.publisher`` gives them) of its files that have provenance."""

    version: str
    publishers: frozenset[str]


@dataclass(frozen=True)
class NewFileRow:
    """The file being recorded: its project (normalised name), release and name."""

    project: str
    version: str
    release_id: int
    filename: str


@dataclass(frozen=True)
class ProvenanceChange:
    """A file flagged as it was recorded. ``first_in_release``: no file of its release was
    flagged so before (its owners are told once per release and change)."""

    change: Change
    project: str
    version: str
    filename: str
    previous_version: str
    publisher: str | None
    previous_publishers: frozenset[str]
    uploader: str
    first_in_release: bool


def compare(publisher: str | None, previous: PreviousRelease | None) -> Change | None:
    """How a file with provenance from ``publisher`` (None: none) breaks with ``previous``."""
    if previous is None or not previous.publishers:
        return None
    if publisher is None:
        return Change.LOST
    return None if publisher in previous.publishers else Change.CHANGED


_INSERT = Prepared(insert_values(FileProvenance, "filename", "release_id", "publisher",
                                 "provenance", "change", "previous_version", "created"))
_FLAGGED_BEFORE = Prepared(select(exists().where(
    FileProvenance.release_id == bindparam("release_id"),
    FileProvenance.change == bindparam("change"))))


def record_provenance(connection: Connection, file: NewFileRow,
                      provenance: VerifiedProvenance | None, previous: PreviousRelease | None,
                      *, principal: Principal, now: dt.datetime) -> ProvenanceChange | None:
    """Store ``file``'s provenance and its flag, if it has either, in the caller's transaction
    (after the file's own row), recording a flag in the security history as done by
    ``principal``; the flag, or None. Costs nothing but the comparison for a file without
    provenance after a release without any."""
    publisher = provenance.publisher if provenance is not None else None
    change = compare(publisher, previous)
    if provenance is None and change is None:
        return None
    flagged: ProvenanceChange | None = None
    if change is not None and previous is not None:
        first = not scalar(connection, _FLAGGED_BEFORE,
                           {"release_id": file.release_id, "change": str(change)})
        flagged = ProvenanceChange(change, file.project, file.version, file.filename,
                                   previous.version, publisher, previous.publishers,
                                   principal.name, first)
        History.record(connection, _EVENTS[change], user=(principal.user_id, principal.name),
                       project=file.project, details=_details(flagged), now=now)
    execute(connection, _INSERT, {
        "filename": file.filename, "release_id": file.release_id, "publisher": publisher,
        "provenance": provenance.document.decode() if provenance is not None else None,
        "change": str(change) if change is not None else None,
        "previous_version": previous.version if change is not None and previous else None,
        "created": now,
    })
    return flagged


def _details(flagged: ProvenanceChange) -> dict[str, Any]:
    """What the history keeps of a flag: the file, both versions and the publishers."""
    return {"filename": flagged.filename, "version": flagged.version,
            "previous_version": flagged.previous_version,
            "publisher": json.loads(flagged.publisher) if flagged.publisher else None,
            "previous_publishers": [json.loads(p) for p in sorted(flagged.previous_publishers)]}
