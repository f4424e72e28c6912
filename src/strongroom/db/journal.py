"""The append-only, hash-chained journal of state changes.

Each entry's serial is one more than the last; its hash covers the previous hash and its own
fields, so editing or removing an entry breaks every hash after it. Call ``add_entries`` only
inside ``Database.write()`` or ``Database.write_connection()``, which serialise writers.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from strongroom.db.models import JournalEntry
from strongroom.db.statements import Prepared, execute_many, first, insert_values

GENESIS_HASH = "0" * 64
MAX_SUBMITTER_LENGTH = 50  # what the journal's column holds; longer names are cut


def _entry_hash(
    prev_hash: str,
    *,
    serial: int,
    project: str,
    version: str | None,
    filename: str | None,
    action: str,
    submitted_by: str | None,
    created: dt.datetime,
) -> str:
    body = json.dumps(
        [serial, project, version, filename, action, submitted_by, created.isoformat()],
        separators=(",", ":"),
        ensure_ascii=True,
    )
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


@dataclass(frozen=True)
class Written:
    """One committed write, as writers report it to their ``on_commit`` hook: the newest serial
    it appended and, per normalised project, the versions it touched."""

    serial: int
    changes: Mapping[str, frozenset[str]]


@dataclass(frozen=True)
class Change:
    """One journal entry's own words: what happened, to which version and file."""

    action: str
    version: str | None = None
    filename: str | None = None


def add_entries(
    connection: Connection,
    *,
    project: str,
    changes: Sequence[Change],
    now: dt.datetime,
    submitted_by: str | None = None,
) -> int:
    """Append one entry per change for the normalised ``project``; returns the last serial.

    The project's ``last_serial`` is its owner's to move: ``projects.journal_changes`` does
    both, and an upload sets it in the update of the project it makes anyway. A
    ``submitted_by`` longer than the column (a trusted publisher's name) is cut to fit, before
    it is hashed.
    """
    if submitted_by is not None:
        submitted_by = submitted_by[:MAX_SUBMITTER_LENGTH]
    # Writers are serialised, so the last entry is the chain's tail until this commits.
    last = first(connection, _TAIL_QUERY)
    serial, prev_hash = (last.id, last.hash) if last else (0, GENESIS_HASH)
    rows = []
    for change in changes:
        serial += 1
        entry_hash = _entry_hash(
            prev_hash, serial=serial, project=project, version=change.version,
            filename=change.filename, action=change.action, submitted_by=submitted_by,
            created=now,
        )
        rows.append({"id": serial, "project": project, "version": change.version,
                     "filename": change.filename, "action": change.action,
                     "submitted_by": submitted_by, "created": now, "prev_hash": prev_hash,
                     "hash": entry_hash})
        prev_hash = entry_hash
    execute_many(connection, _INSERT, rows)
    return serial


_TAIL_QUERY = Prepared(
    select(JournalEntry.id, JournalEntry.hash).order_by(JournalEntry.id.desc()).limit(1))
_INSERT = Prepared(insert_values(
    JournalEntry, "id", "project", "version", "filename", "action", "submitted_by", "created",
    "prev_hash", "hash"))


def last_serial(session: Session) -> int:
    """The newest serial, or 0 for an empty index."""
    return session.scalar(select(JournalEntry.id).order_by(JournalEntry.id.desc()).limit(1)) or 0


def projects_changed_since(session: Session, serial: int) -> set[str]:
    """Normalised names of the projects with an entry newer than ``serial``."""
    rows = session.scalars(select(JournalEntry.project).where(JournalEntry.id > serial))
    return set(rows)


@dataclass(frozen=True)
class ChainBreak:
    """The first entry whose stored hash or serial does not follow from the entries before it."""

    serial: int
    reason: str


def verify_chain(session: Session, batch: int = 5000) -> ChainBreak | None:
    """Walk the whole journal; return the first break, or None when the chain is intact."""
    expected_serial, prev_hash = 1, GENESIS_HASH
    while True:
        entries = session.scalars(
            select(JournalEntry)
            .where(JournalEntry.id >= expected_serial)
            .order_by(JournalEntry.id)
            .limit(batch)
        ).all()
        if not entries:
            return None
        for entry in entries:
            if entry.id != expected_serial:
                return ChainBreak(expected_serial, f"serial {expected_serial} is missing")
            if entry.prev_hash != prev_hash:
                return ChainBreak(entry.id, "previous-hash link does not match")
            recomputed = _entry_hash(
                prev_hash, serial=entry.id, project=entry.project, version=entry.version,
                filename=entry.filename, action=entry.action, submitted_by=entry.submitted_by,
                created=entry.created,
            )
            if recomputed != entry.hash:
                return ChainBreak(entry.id, "entry content does not match its hash")
            expected_serial, prev_hash = entry.id + 1, entry.hash

