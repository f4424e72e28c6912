"""Loading the read views from the database. Each function runs inside ``Database.read()``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, selectinload

from strongroom.db import journal
from strongroom.db.models import File, Project, Release
from strongroom.domain.simple import (
    QUARANTINED,
    FileView,
    IndexEntry,
    ProjectView,
    ReleaseView,
    sorted_releases,
)

INDEX_BATCH = 2000  # root-page rows fetched from the database per round trip


def _file_view(f: File, release: Release) -> FileView:
    return FileView(
        filename=f.filename,
        version=release.version,
        packagetype=f.packagetype,
        python_version=f.python_version,
        size=f.size,
        sha256=f.sha256,
        blake2_256=f.blake2_256,
        md5=f.md5,
        upload_time=f.upload_time,
        requires_python=f.requires_python,
        metadata_sha256=f.metadata_sha256,
        yanked=release.yanked,
        yanked_reason=release.yanked_reason,
        comment=f.comment,
    )


def _release_view(release: Release) -> ReleaseView:
    files = sorted(release.files, key=lambda f: f.filename)
    return ReleaseView(
        version=release.version,
        yanked=release.yanked,
        yanked_reason=release.yanked_reason,
        requires_python=release.requires_python,
        core_metadata=dict(release.core_metadata or {}),
        created=release.created,
        files=tuple(_file_view(f, release) for f in files),
    )


def load_project(session: Session, normalized_name: str) -> ProjectView | None:
    """The project with its releases and files (none while quarantined); None when unknown."""
    project = session.scalar(
        select(Project)
        .where(Project.normalized_name == normalized_name)
        .options(selectinload(Project.releases).selectinload(Release.files))
    )
    if project is None:
        return None
    releases = () if project.status == QUARANTINED else tuple(
        _release_view(r) for r in project.releases
    )
    return ProjectView(
        name=project.name,
        normalized_name=project.normalized_name,
        status=project.status,
        status_reason=project.status_reason,
        last_serial=project.last_serial,
        releases=sorted_releases(releases),
    )


def load_index(session: Session) -> tuple[Iterator[IndexEntry], int]:
    """The journal's newest serial and a stream of every project not in quarantine, by name.

    The stream selects three columns per project (no ORM objects) and fetches them from the
    database ``INDEX_BATCH`` rows at a time (a server-side cursor on PostgreSQL), so building
    the root page of a large index never holds every project in memory. Consume it before the
    session ends. Serial and rows come from one snapshot: SQLite's read transaction, and on
    PostgreSQL a REPEATABLE READ transaction requested here (call this first in the session).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    serial = journal.last_serial(session)
    rows = session.execute(
        select(Project.name, Project.normalized_name, Project.last_serial)
        .where(Project.status != QUARANTINED)
        .order_by(Project.normalized_name)
        .execution_options(yield_per=INDEX_BATCH)
    )
    return (IndexEntry(name, normalized, last) for name, normalized, last in rows), serial


@dataclass(frozen=True)
class StoredFile:
    """Where a distribution or metadata file's bytes live, and what to call them."""

    project: str
    sha256: str
    size: int | None
    filename: str


_FILE_BY_NAME = (
    select(File.sha256, File.size, File.metadata_sha256, Project.normalized_name, Project.status)
    .join(Release, File.release_id == Release.id)
    .join(Project, Release.project_id == Project.id)
    .where(File.filename == bindparam("filename"))
)


def load_file(session: Session, sha256_path: str, filename: str) -> StoredFile | None:
    """Resolve ``/packages/<sha256 split in 2/2/60>/<filename>`` (or ``<filename>.metadata``).

    ``sha256_path`` is the three path parts joined together. Returns None when no file has that
    name, its hash differs, it has no metadata file, or its project is quarantined. One prepared
    Core query: every first download of a file in a process passes here.
    """
    wants_metadata = filename.endswith(".metadata")
    dist_name = filename.removesuffix(".metadata") if wants_metadata else filename
    row = session.connection().execute(_FILE_BY_NAME, {"filename": dist_name}).first()
    if row is None or row.sha256 != sha256_path or row.status == QUARANTINED:
        return None
    if not wants_metadata:
        return StoredFile(row.normalized_name, row.sha256, row.size, filename)
    if row.metadata_sha256 is None:
        return None
    return StoredFile(row.normalized_name, row.metadata_sha256, None, filename)
