"""The last step of an upload: one write transaction that re-checks what may have changed since
validation began, then adds the project, release and file rows and their journal entries."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from packaging.utils import canonicalize_version
from sqlalchemy import select
from sqlalchemy.orm import Session

from strongroom.db import journal
from strongroom.db.models import File, FilenameRegistry, Project, Release, Role
from strongroom.domain.distributions import Distribution
from strongroom.domain.policy import upload_denial
from strongroom.errors import Conflict, Forbidden, Problem, UploadRejected
from strongroom.tokens import Identity
from strongroom.upload.receive import ReceivedFile


@dataclass(frozen=True)
class NewFile:
    """Everything the record step writes about one file."""

    dist: Distribution
    received: ReceivedFile
    metadata_sha256: str | None
    metadata_blake2_256: str | None
    comment: str | None
    uploaded_via: str | None


def file_exists_message(filename: str, blake2_256: str) -> str:
    """PyPI's wording; twine's --skip-existing looks for "already exist" in it."""
    return f"File already exists ('{filename}', with blake2_256 hash '{blake2_256}')."


def existing_identical(session: Session, filename: str, received: ReceivedFile) -> bool:
    """True when this exact file is already stored; Conflict when the name is used otherwise."""
    existing = session.scalar(select(File).where(File.filename == filename))
    if existing is not None:
        if existing.sha256 == received.sha256:
            return True
        raise Conflict(file_exists_message(filename, existing.blake2_256))
    if session.get(FilenameRegistry, filename) is not None:
        raise Conflict(
            "This filename was previously used by a file that has since been deleted. "
            "Use a different version."
        )
    same_bytes = session.scalar(select(File).where(File.blake2_256 == received.blake2_256))
    if same_bytes is not None:
        raise Conflict(file_exists_message(same_bytes.filename, same_bytes.blake2_256))
    return False


def record(
    session: Session, new: NewFile, identity: Identity, *, now: dt.datetime, max_project_size: int
) -> int | None:
    """Write the file; returns the new serial, or None when the identical file was already there.

    Raises Forbidden when the uploader lost the right to upload meanwhile, Conflict for a used
    file name or a second sdist, UploadRejected when the project would grow past its limit.
    """
    dist, received = new.dist, new.received
    if existing_identical(session, dist.filename, received):
        return None
    project = session.scalar(select(Project).where(Project.normalized_name == dist.name))
    role = None
    if project is not None:
        role = session.scalar(
            select(Role.role).where(Role.project_id == project.id, Role.user_id == identity.user_id)
        )
    denial = upload_denial(
        project=dist.name,
        exists=project is not None,
        status=project.status if project else "active",
        role=role,
        username=identity.username,
    )
    if denial:
        raise Forbidden(denial)
    is_new = project is None
    if project is None:
        # Rows are linked by relationship, not id, so the whole write is one flush at commit.
        project = Project(name=dist.display_name, normalized_name=dist.name, created=now,
                          total_size=0, last_serial=0)
        session.add(project)
        session.add(Role(project=project, user_id=identity.user_id, role="Owner"))
        journal.append(session, project=project, action="create", now=now,
                       submitted_by=identity.username)
        journal.append(session, project=project, action=f"add Owner {identity.username}",
                       now=now, submitted_by=identity.username)
    if project.total_size + received.size > max_project_size:
        raise UploadRejected([Problem("content", "Project size too large. Limit for project "
                                      f"'{project.name}' total size is "
                                      f"{max_project_size // 2**30} GiB.")])
    release = _release(session, project, new, identity, now, is_new=is_new)
    if dist.packagetype == "sdist" and any(f.packagetype == "sdist" for f in release.files):
        raise Conflict("Only one sdist may be uploaded per release.")
    session.add(File(
        release=release,
        filename=dist.filename,
        packagetype=dist.packagetype,
        python_version=dist.python_version,
        size=received.size,
        sha256=received.sha256,
        blake2_256=received.blake2_256,
        md5=received.md5,
        upload_time=now,
        requires_python=dist.requires_python,
        metadata_sha256=new.metadata_sha256,
        metadata_blake2_256=new.metadata_blake2_256,
        comment=new.comment,
        uploaded_via=new.uploaded_via,
    ))
    session.add(FilenameRegistry(filename=dist.filename))
    project.total_size += received.size
    entry = journal.append(
        session, project=project, action=f"add {dist.python_version} file {dist.filename}",
        now=now, version=release.version, filename=dist.filename, submitted_by=identity.username,
    )
    return entry.id


def _release(
    session: Session, project: Project, new: NewFile, identity: Identity, now: dt.datetime,
    *, is_new: bool,
) -> Release:
    canonical = canonicalize_version(new.dist.version)
    if not is_new:
        release = session.scalar(
            select(Release).where(Release.project_id == project.id,
                                  Release.canonical_version == canonical)
        )
        if release is not None:
            return release
    metadata: dict[str, Any] = dict(new.dist.metadata)
    release = Release(
        project=project,
        version=str(new.dist.version),
        canonical_version=canonical,
        created=now,
        requires_python=new.dist.requires_python,
        core_metadata=metadata,
        uploader_id=identity.user_id,
    )
    session.add(release)
    journal.append(session, project=project, action="new release", now=now,
                   version=release.version, submitted_by=identity.username)
    if project.name != new.dist.display_name:
        # Same normalised name, newer spelling: follow the latest upload, as PyPI does.
        project.name = new.dist.display_name
    return release

