"""Loading the read views from the database. Each function runs inside ``Database.read()``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from packaging.utils import canonicalize_version
from sqlalchemy import Connection, Row, bindparam, select
from sqlalchemy.orm import Session

from strongroom.attestations import FileProvenance
from strongroom.db import journal
from strongroom.domain.advisories import Advisory
from strongroom.domain.osvapi import Mark, release_marks
from strongroom.domain.simple import (
    QUARANTINED,
    FileView,
    IndexEntry,
    ProjectView,
    ReleaseView,
    sorted_releases,
)
from strongroom.projects import Project
from strongroom.upload import File, Release
from strongroom.vulns import advisories_for, records_for

INDEX_BATCH = 2000  # root-page rows fetched from the database per round trip


_PROJECT_ROW = select(
    Project.id, Project.name, Project.normalized_name, Project.status, Project.status_reason,
    Project.last_serial,
).where(Project.normalized_name == bindparam("name"))

_RELEASES = select(
    Release.id, Release.version, Release.yanked, Release.yanked_reason, Release.requires_python,
    Release.created,
).where(Release.project_id == bindparam("project_id"))
# By release ids rather than joined to releases: a join's plan depends on PostgreSQL's
# statistics, and before the first ANALYZE of a bulk load it scans every file. For the same
# reason whether a file has a file_provenance row comes by a subquery on its primary key, one
# index probe per file on every database (an outer join, planned before ANALYZE, read all of
# file_provenance, 25 ms for 200,000 rows, for a page of 20 files); only the files that have
# one are read again, for the row itself.
_FILES = select(
    File.release_id, File.filename, File.packagetype, File.python_version, File.size,
    File.sha256, File.blake2_256, File.md5, File.upload_time, File.requires_python,
    File.metadata_sha256, File.comment, File.warnings,
    select(FileProvenance.release_id).where(FileProvenance.filename == File.filename)
    .scalar_subquery().label("provenance_row"),
).where(File.release_id.in_(bindparam("release_ids", expanding=True))).order_by(File.filename)
_PROVENANCE_STATES = select(
    FileProvenance.filename, FileProvenance.publisher.is_not(None).label("has_provenance"),
    FileProvenance.change, FileProvenance.previous_version,
).where(FileProvenance.filename.in_(bindparam("filenames", expanding=True)))
# Whether a file has provenance, and its flag: (``lost``/``changed``, the version before).
_ProvenanceState = tuple[bool, tuple[str, str] | None]


def _provenance_states(connection: Connection, filenames: list[str]
                       ) -> dict[str, _ProvenanceState]:
    """The provenance state of each of ``filenames`` (files that have a file_provenance row)."""
    if not filenames:
        return {}
    return {row.filename: (bool(row.has_provenance),
                           None if row.change is None else (row.change,
                                                            row.previous_version or ""))
            for row in connection.execute(_PROVENANCE_STATES, {"filenames": filenames})}


def _file_view(row: Row[*tuple[Any, ...]], release: Row[*tuple[Any, ...]],
               provenance: _ProvenanceState | None) -> FileView:
    has_provenance, change = provenance or (False, None)
    return FileView(
        filename=row.filename,
        version=release.version,
        packagetype=row.packagetype,
        python_version=row.python_version,
        size=row.size,
        sha256=row.sha256,
        blake2_256=row.blake2_256,
        md5=row.md5,
        upload_time=row.upload_time,
        requires_python=row.requires_python,
        metadata_sha256=row.metadata_sha256,
        yanked=release.yanked,
        yanked_reason=release.yanked_reason,
        comment=row.comment,
        warnings=tuple((w["rule"], w["message"]) for w in row.warnings or ()),
        has_provenance=has_provenance,
        provenance_change=change,
    )


def _release_views(connection: Connection, project_id: int) -> Iterator[ReleaseView]:
    releases = {row.id: row for row in connection.execute(_RELEASES,
                                                          {"project_id": project_id})}
    if not releases:
        return
    rows = connection.execute(_FILES, {"release_ids": list(releases)}).all()
    provenance = _provenance_states(
        connection, [row.filename for row in rows if row.provenance_row is not None])
    files: dict[int, list[FileView]] = {release_id: [] for release_id in releases}
    for row in rows:
        files[row.release_id].append(_file_view(row, releases[row.release_id],
                                                provenance.get(row.filename)))
    for release_id, release in releases.items():
        yield ReleaseView(
            version=release.version,
            yanked=release.yanked,
            yanked_reason=release.yanked_reason,
            requires_python=release.requires_python,
            created=release.created,
            files=tuple(files[release_id]),
        )


def load_project(session: Session, normalized_name: str) -> ProjectView | None:
    """The project with its releases and files (none while quarantined); None when unknown.

    Three prepared Core queries (project, releases, their files), and a fourth for the
    provenance of the files that have some; no ORM objects and no release's core metadata:
    every cold page of a large index passes here.
    """
    connection = session.connection()
    project = connection.execute(_PROJECT_ROW, {"name": normalized_name}).first()
    if project is None:
        return None
    releases: tuple[ReleaseView, ...] = ()
    if project.status != QUARANTINED:
        releases = tuple(_release_views(connection, project.id))
    return ProjectView(
        name=project.name,
        normalized_name=project.normalized_name,
        status=project.status,
        status_reason=project.status_reason,
        last_serial=project.last_serial,
        releases=sorted_releases(releases),
    )


_CORE_METADATA = (
    select(Release.core_metadata)
    .join(Project, Release.project_id == Project.id)
    .where(Project.normalized_name == bindparam("name"), Release.version == bindparam("version"))
)


def load_core_metadata(session: Session, normalized_name: str, version: str) -> dict[str, Any]:
    """The stored core metadata of one release (``version`` as ``load_project`` gives it);
    empty when there is no such release."""
    found = session.connection().execute(
        _CORE_METADATA, {"name": normalized_name, "version": version}).scalar()
    return dict(found or {})


def load_advisories(session: Session, normalized_name: str) -> list[Advisory]:
    """The advisories (not withdrawn) that concern the project, by id: one prepared query,
    which only a cold JSON API document pays (simple pages show none)."""
    return advisories_for(session.connection(), normalized_name)


def load_release_marks(session: Session, normalized_name: str
                       ) -> list[tuple[str, list[Mark]]]:
    """The project's visible releases that advisories affect, newest first, each with what
    the web UI's project page shows of them (``osvapi.release_marks``); empty for an unknown
    or quarantined project. Reads the records whole (for their severity): not a hot path."""
    view = load_project(session, normalized_name)
    if view is None or not view.visible_releases:
        return []
    found = records_for(session.connection(), normalized_name)
    versions = [release.version for release in reversed(view.visible_releases)]
    return release_marks(normalized_name, versions, found)


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
    """Where a distribution or metadata file's bytes live, and what to call them. A metadata
    file also names the distribution it comes from (``source``, that file's SHA-256)."""

    project: str
    sha256: str
    size: int | None
    filename: str
    uploaded: dt.datetime
    source: str | None = None


_FILE_BY_NAME = (
    select(File.sha256, File.size, File.metadata_sha256, File.upload_time,
           Project.normalized_name, Project.status)
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
        return StoredFile(row.normalized_name, row.sha256, row.size, filename, row.upload_time)
    if row.metadata_sha256 is None:
        return None
    return StoredFile(row.normalized_name, row.metadata_sha256, None, filename, row.upload_time,
                      row.sha256)


_PROVENANCE = (
    select(FileProvenance.provenance, Release.version, Project.normalized_name,
           Project.status, Project.last_serial)
    .join(File, File.filename == FileProvenance.filename)
    .join(Release, File.release_id == Release.id)
    .join(Project, Release.project_id == Project.id)
    .where(FileProvenance.filename == bindparam("filename"))
)


def load_provenance(session: Session, normalized_name: str, version: str, filename: str
                    ) -> tuple[bytes, int] | None:
    """The provenance object of ``filename`` (as served) and its project's serial, when the
    file is of that project and version (any spelling of it) and has one; None otherwise, or
    while the project is quarantined. One query by the file's name."""
    row = session.connection().execute(_PROVENANCE, {"filename": filename}).first()
    if (row is None or row.provenance is None or row.normalized_name != normalized_name
            or row.status == QUARANTINED):
        return None
    # Text that is no version stays as it is, and matches only itself.
    if canonicalize_version(version) != canonicalize_version(row.version):
        return None
    return row.provenance.encode(), row.last_serial
