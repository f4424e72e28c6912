"""Garbage collection of blobs no file row names (left by uploads that failed after storing)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from strongroom.db.engine import Database
from strongroom.storage import BlobStore
from strongroom.upload import File


@dataclass
class GarbageReport:
    """Blobs removed (or that would be, on a dry run) and how many were kept."""

    removed: list[str] = field(default_factory=list)
    kept: int = 0


def collect_garbage(
    db: Database, blobs: BlobStore, *, now: dt.datetime, grace: dt.timedelta, dry_run: bool = False
) -> GarbageReport:
    """Remove unreferenced blobs older than ``grace``.

    The grace period protects uploads in flight: their blob is written before their row commits.
    """
    report = GarbageReport()
    with db.read() as session:
        referenced = set(session.scalars(select(File.sha256)))
        referenced |= {s for s in session.scalars(select(File.metadata_sha256)) if s}
    for sha256, written in blobs.list():
        if sha256 in referenced or now - written < grace:
            report.kept += 1
            continue
        if not dry_run:
            blobs.delete(sha256)
        report.removed.append(sha256)
    return report
