"""The last step of an upload: one write transaction that re-checks what may have changed since
validation began, then adds the project, release and file rows and their journal entries.

A file name or digest taken meanwhile is not queried again here: the unique constraints on
file names, the names registry and blake2_256 refuse the row, and the caller turns that
IntegrityError into the message ``existing_identical`` gives.

Every statement is a ``Prepared`` one (db/statements.py: compiled once, run on the driver): an
upload is a handful of indexed lookups and inserts, and SQLAlchemy's execution of each would cost
more than the database's own work.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from packaging.utils import canonicalize_version
from sqlalchemy import Connection, and_, bindparam, exists, null, or_, select, union_all
from sqlalchemy import update as sql_update

from strongroom.config import Limits, format_size
from strongroom.db import journal
from strongroom.db.models import File, FilenameRegistry, Project, Release, Role
from strongroom.db.statements import Prepared, execute, first, insert_values, scalar
from strongroom.domain import rules
from strongroom.domain.distributions import Distribution
from strongroom.domain.policy import upload_denial
from strongroom.domain.rules import UPLOAD_POLICY, Policy
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
    policy: Policy = UPLOAD_POLICY


@dataclass(frozen=True)
class ProjectAccess:
    """An existing project as the upload checks see it, with the uploader's role in it and its
    own limits (None: the index's default)."""

    id: int
    name: str
    status: str
    total_size: int
    upload_limit: int | None
    total_size_limit: int | None
    role: str | None

    def limits(self, defaults: Limits) -> Limits:
        """This project's limits, given the index's ``defaults``."""
        return defaults.for_project(self.upload_limit, self.total_size_limit)


def file_exists_message(filename: str, blake2_256: str) -> str:
    """PyPI's wording; twine's --skip-existing looks for "already exist" in it."""
    return f"File already exists ('{filename}', with blake2_256 hash '{blake2_256}')."


# Files sharing the name or the bytes, and the name's registry row (sha256 NULL), in one query.
_CLASHES = Prepared(union_all(
    select(File.filename, File.sha256, File.blake2_256).where(
        or_(File.filename == bindparam("filename"), File.blake2_256 == bindparam("blake2_256"))
    ),
    select(FilenameRegistry.filename, null(), null()).where(
        FilenameRegistry.filename == bindparam("filename")
    ),
))

_ACCESS = (
    select(Project.id, Project.name, Project.status, Project.total_size, Project.upload_limit,
           Project.total_size_limit, Role.role)
    .outerjoin(Role, and_(Role.project_id == Project.id, Role.user_id == bindparam("user_id")))
    .where(Project.normalized_name == bindparam("name"))
)

# The project with the uploader's role and the release being added to, in one query.
_TARGET = Prepared(
    _ACCESS.add_columns(
        Release.id.label("release_id"),
        Release.version,
        exists().where(File.release_id == Release.id, File.packagetype == "sdist")
        .label("has_sdist"),
    )
    .outerjoin(Release, and_(Release.project_id == Project.id,
                             Release.canonical_version == bindparam("canonical")))
)

_ACCESS_ONLY = Prepared(_ACCESS)
_NEW_PROJECT = Prepared(insert_values(
    Project, "name", "normalized_name", "created", "status", "total_size", "last_serial",
).returning(Project.id))
_NEW_ROLE = Prepared(insert_values(Role, "project_id", "user_id", "role"))
_NEW_RELEASE = Prepared(insert_values(
    Release, "project_id", "version", "canonical_version", "created", "yanked", "yanked_reason",
    "requires_python", "core_metadata", "uploader_id",
).returning(Release.id))
_NEW_FILE = Prepared(insert_values(
    File, "release_id", "filename", "packagetype", "python_version", "size", "sha256",
    "blake2_256", "md5", "upload_time", "requires_python", "metadata_sha256",
    "metadata_blake2_256", "comment", "uploaded_via", "warnings",
))
_NEW_NAME = Prepared(insert_values(FilenameRegistry, "filename"))
_GROW_PROJECT = Prepared(
    sql_update(Project)
    .where(Project.id == bindparam("project_id"))
    .values(total_size=Project.total_size + bindparam("size"), name=bindparam("display_name"),
            last_serial=bindparam("serial"))
)


def existing_identical(connection: Connection, filename: str, received: ReceivedFile) -> bool:
    """True when this exact file is already stored; Conflict when the name is used otherwise."""
    files: dict[str, tuple[str, str]] = {}
    name_was_used = False
    for name, sha256, blake2_256 in execute(
        connection, _CLASHES, {"filename": filename, "blake2_256": received.blake2_256}
    ):
        if sha256 is None or blake2_256 is None:
            name_was_used = True
        else:
            files[name] = (sha256, blake2_256)
    if filename in files:
        sha256, blake2_256 = files[filename]
        if sha256 == received.sha256:
            return True
        raise Conflict(file_exists_message(filename, blake2_256))
    if name_was_used:
        raise Conflict(
            "This filename was previously used by a file that has since been deleted. "
            "Use a different version."
        )
    if files:  # the same bytes under another name
        name, (_sha256, blake2_256) = next(iter(files.items()))
        raise Conflict(file_exists_message(name, blake2_256))
    return False


def project_access(connection: Connection, name: str, identity: Identity) -> ProjectAccess | None:
    """The normalised project ``name`` with the uploader's role, or None when it is new."""
    row = first(connection, _ACCESS_ONLY, {"name": name, "user_id": identity.user_id})
    return ProjectAccess(*row) if row else None


def check_access(name: str, access: ProjectAccess | None, identity: Identity) -> None:
    """Raise Forbidden unless ``identity`` may upload to project ``name`` as it stands."""
    denial = upload_denial(
        project=name,
        exists=access is not None,
        status=access.status if access else "active",
        role=access.role if access else None,
        username=identity.username,
    )
    if denial:
        raise Forbidden(denial)


def record(
    connection: Connection, new: NewFile, identity: Identity, *, now: dt.datetime,
    defaults: Limits,
) -> journal.Written:
    """Write the file; returns what was written. ``defaults`` are the index's limits; the
    project's own, read here under the write lock, replace them.

    Raises Forbidden when the uploader lost the right to upload meanwhile, Conflict for a
    second sdist (unless the file's policy tolerates it: then it is a warning), UploadRejected
    when the project would grow past its total size limit (or its file limit was lowered below
    this file meanwhile), and IntegrityError when the file's name or bytes were taken since the
    caller checked (``existing_identical``).
    """
    dist, received = new.dist, new.received
    canonical = canonicalize_version(dist.version)
    target = first(connection, _TARGET, {"name": dist.name, "user_id": identity.user_id,
                                         "canonical": canonical})
    access = ProjectAccess(*target[:7]) if target else None
    check_access(dist.name, access, identity)
    changes: list[journal.Change] = []
    if access is None:
        project_id = scalar(connection, _NEW_PROJECT, {
            "name": dist.display_name, "normalized_name": dist.name, "created": now,
            "status": "active", "total_size": 0, "last_serial": 0,
        })
        execute(connection, _NEW_ROLE, {"project_id": project_id, "user_id": identity.user_id,
                                        "role": "Owner"})
        changes += [journal.Change("create"), journal.Change(f"add Owner {identity.username}")]
        total_size, display_name = 0, dist.display_name
    else:
        project_id, total_size, display_name = access.id, access.total_size, access.name
    limits = access.limits(defaults) if access else defaults
    _check_size(display_name, total_size, received.size, limits)
    warnings = list(dist.warnings)
    if target is not None and target.release_id is not None:
        if dist.packagetype == "sdist" and target.has_sdist:
            second = Problem("filename", "Only one sdist may be uploaded per release.",
                             rules.SECOND_SDIST)
            if second.rule not in new.policy.tolerated:
                raise Conflict(second.reason)
            warnings.append(second)
        release_id, version, is_new_release = target.release_id, target.version, False
    else:
        version, is_new_release = str(dist.version), True
        release_id = _new_release(connection, project_id, new, identity, canonical, now=now)
        changes.append(journal.Change("new release", version=version))
    execute(connection, _NEW_FILE, {
        "release_id": release_id,
        "filename": dist.filename,
        "packagetype": dist.packagetype,
        "python_version": dist.python_version,
        "size": received.size,
        "sha256": received.sha256,
        "blake2_256": received.blake2_256,
        "md5": received.md5,
        "upload_time": now,
        "requires_python": dist.requires_python,
        "metadata_sha256": new.metadata_sha256,
        "metadata_blake2_256": new.metadata_blake2_256,
        "comment": new.comment,
        "uploaded_via": new.uploaded_via,
        "warnings": [{"rule": w.rule, "field": w.field, "message": w.reason}
                     for w in warnings] or None,
    })
    execute(connection, _NEW_NAME, {"filename": dist.filename})
    changes.append(journal.Change(f"add {dist.python_version} file {dist.filename}",
                                  version=version, filename=dist.filename))
    serial = journal.add_entries(connection, project=dist.name, changes=changes, now=now,
                                 submitted_by=identity.username)
    # Same normalised name, newer spelling: a new release renames the project, as on PyPI.
    execute(connection, _GROW_PROJECT, {
        "project_id": project_id, "size": received.size, "serial": serial,
        "display_name": dist.display_name if is_new_release else display_name,
    })
    return journal.Written(serial, {dist.name: frozenset({version})})


def _check_size(display_name: str, total_size: int, size: int, limits: Limits) -> None:
    """UploadRejected, in PyPI's words, when a file of ``size`` bytes is over the project's
    file limit or would take its ``total_size`` past its total limit."""
    if size > limits.max_file_size:
        raise UploadRejected([Problem("content", f"File too large. Limit for project "
                                      f"'{display_name}' is {format_size(limits.max_file_size)}.")])
    if total_size + size > limits.max_project_size:
        raise UploadRejected([Problem("content", "Project size too large. Limit for project "
                                      f"'{display_name}' total size is "
                                      f"{format_size(limits.max_project_size)}.")])


def _new_release(connection: Connection, project_id: int, new: NewFile, identity: Identity,
                 canonical: str, *, now: dt.datetime) -> int:
    """Insert the release this upload starts; its id."""
    release_id: int = scalar(connection, _NEW_RELEASE, {
        "project_id": project_id,
        "version": str(new.dist.version),
        "canonical_version": canonical,
        "created": now,
        "yanked": False,
        "yanked_reason": "",
        "requires_python": new.dist.requires_python,
        "core_metadata": dict(new.dist.metadata),
        "uploader_id": identity.user_id,
    })
    return release_id
