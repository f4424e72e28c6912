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
from dataclasses import dataclass, field
from typing import Any

from packaging.utils import canonicalize_version
from sqlalchemy import (
    Connection,
    Select,
    and_,
    bindparam,
    exists,
    func,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy import update as sql_update

from strongroom.attestations import (
    FileProvenance,
    NewFileRow,
    PreviousRelease,
    ProvenanceChange,
    VerifiedProvenance,
    record_provenance,
)
from strongroom.config import Limits, format_size
from strongroom.db import journal
from strongroom.db.statements import Prepared, execute, first, insert_values, scalar
from strongroom.domain import rules
from strongroom.domain.distributions import Distribution
from strongroom.domain.policy import accepts_uploads, upload_denial
from strongroom.domain.principals import Principal, PrincipalKind
from strongroom.domain.rules import UPLOAD_POLICY, Policy
from strongroom.errors import Conflict, Forbidden, Problem, UploadRejected
from strongroom.oidc import publisher_role
from strongroom.projects import Project, Role, team_role
from strongroom.upload.models import File, FilenameRegistry, Release
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
    provenance: VerifiedProvenance | None = None


@dataclass(frozen=True)
class Recorded:
    """What the record step wrote: the journal's serial and names, and the file's provenance
    flag when its provenance breaks with the release before (attestations/stored.py)."""

    written: journal.Written
    provenance_change: ProvenanceChange | None = None


@dataclass(frozen=True)
class ProjectAccess:
    """An existing project as the upload checks see it, with the uploader's role in it (their
    own, else their teams') and its own limits (None: the index's default)."""

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

_PROJECT = (Project.id, Project.name, Project.status, Project.total_size, Project.upload_limit,
            Project.total_size_limit)
# The uploader's own role, else the strongest of their teams' (a subquery: still one query).
_ACCESS = (
    select(*_PROJECT,
           func.coalesce(Role.role, team_role(Project.id, bindparam("user_id"))).label("role"))
    .outerjoin(Role, and_(Role.project_id == Project.id, Role.user_id == bindparam("user_id")))
    .where(Project.normalized_name == bindparam("name"))
)
# A trusted publisher's right, where a user's role goes.
_PUBLISHER_ACCESS = (
    select(*_PROJECT,
           publisher_role(Project.id, bindparam("publisher_id")).label("role"))
    .where(Project.normalized_name == bindparam("name"))
)


# Whether any file of the project has a publisher's provenance: only then can a new file
# lose it, so only then does the upload look back at the release before (_PREVIOUS).
_PRIOR = Release.__table__.alias("prior")
_ATTESTED = exists().where(FileProvenance.release_id == _PRIOR.c.id,
                           _PRIOR.c.project_id == Project.id,
                           FileProvenance.publisher.is_not(None))


def _target(access: Select[*tuple[Any, ...]]) -> Prepared:
    """The project with the uploader's role and the release being added to, in one query."""
    return Prepared(
        access.add_columns(
            Release.id.label("release_id"),
            Release.version,
            exists().where(File.release_id == Release.id, File.packagetype == "sdist")
            .label("has_sdist"),
            _ATTESTED.label("attested"),
        )
        .outerjoin(Release, and_(Release.project_id == Project.id,
                                 Release.canonical_version == bindparam("canonical")))
    )


_TARGET = _target(_ACCESS)
_PUBLISHER_TARGET = _target(_PUBLISHER_ACCESS)
_ACCESS_ONLY = Prepared(_ACCESS)
_PUBLISHER_ACCESS_ONLY = Prepared(_PUBLISHER_ACCESS)
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
# The release uploaded before this file's own (ids grow as releases are made), with the
# publishers of its files that have provenance: one row per publisher, or one with NULL.
# Ordered by creation first: PostgreSQL, before an ANALYZE, walked the primary key back
# through every later release of every project for ``ORDER BY id DESC`` (28 ms past 300,000);
# with no index in that order it reads the project's releases by its own index and sorts.
_BEFORE = (
    select(Release.id, Release.version)
    .where(Release.project_id == bindparam("project_id"), Release.id < bindparam("release_id"))
    .order_by(Release.created.desc(), Release.id.desc()).limit(1).subquery()
)
_PREVIOUS = Prepared(
    select(_BEFORE.c.version, FileProvenance.publisher).select_from(_BEFORE)
    .outerjoin(FileProvenance, and_(FileProvenance.release_id == _BEFORE.c.id,
                                    FileProvenance.publisher.is_not(None)))
)
_GROW_PROJECT = Prepared(
    sql_update(Project)
    .where(Project.id == bindparam("project_id"))
    .values(total_size=Project.total_size + bindparam("size"), name=bindparam("display_name"),
            last_serial=bindparam("serial"))
)


def existing_identical(connection: Connection, filename: str, received: ReceivedFile) -> bool:
    """True when this exact file is already stored; Conflict, carrying the stored file's name,
    when the name or the bytes are used otherwise."""
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
        raise Conflict(file_exists_message(filename, blake2_256), filename=filename)
    if name_was_used:
        raise Conflict(
            "This filename was previously used by a file that has since been deleted. "
            "Use a different version.", filename=filename,
        )
    if files:  # the same bytes under another name
        name, (_sha256, blake2_256) = next(iter(files.items()))
        raise Conflict(file_exists_message(name, blake2_256), filename=name)
    return False


def project_access(connection: Connection, name: str, principal: Principal
                   ) -> ProjectAccess | None:
    """The normalised project ``name`` with ``principal``'s role, or None when it is new. A
    trusted publisher's role is Maintainer where it is registered, else None."""
    if principal.kind is PrincipalKind.PUBLISHER:
        row = first(connection, _PUBLISHER_ACCESS_ONLY,
                    {"name": name, "publisher_id": principal.publisher_id})
    else:
        row = first(connection, _ACCESS_ONLY, {"name": name, "user_id": principal.user_id})
    return ProjectAccess(*row) if row else None


def check_access(name: str, access: ProjectAccess | None, principal: Principal) -> None:
    """Raise Forbidden unless ``principal`` may upload to project ``name`` as it stands.

    The error carries ``name`` as ``project``, and the principal too unless the project is
    closed to everyone (archived, quarantined). A new project needs a principal with an
    account, which becomes its Owner: a trusted publisher makes one only through a pending
    publisher, when its token is minted; it uploads only where it is registered.
    """
    if access is None and principal.kind is PrincipalKind.PUBLISHER:
        raise Forbidden("Non-user identities cannot create new projects. This was probably "
                        "caused by successfully using a pending publisher but specifying the "
                        "project name incorrectly (either in the publisher or in your "
                        f"project's metadata). Please ensure that both match ('{name}').",
                        project=name, principal=principal)
    if access is None and principal.user_id is None:
        raise Forbidden(f"{principal} has no account to own the new project '{name}'.",
                        project=name, principal=principal)
    if (principal.kind is PrincipalKind.PUBLISHER and access is not None
            and accepts_uploads(access.status) and access.role is None):
        raise Forbidden(f"The trusted publisher '{principal.name}' isn't allowed to upload to "
                        f"project '{name}': it is not one of the project's publishers.",
                        project=name, principal=principal)
    denial = upload_denial(
        project=name,
        exists=access is not None,
        status=access.status if access else "active",
        role=access.role if access else None,
        username=principal.name,
    )
    if denial:
        closed = access is not None and not accepts_uploads(access.status)
        raise Forbidden(denial, project=name, principal=None if closed else principal)


def record(
    connection: Connection, new: NewFile, principal: Principal, *, now: dt.datetime,
    defaults: Limits,
) -> Recorded:
    """Write the file in three steps (ensure the project, ensure the release, add the file
    with its provenance), by ``principal`` (the journal's submitter and the new release's
    uploader); returns what was written. ``defaults`` are the index's limits; the project's
    own, read here under the write lock, replace them.

    Raises Forbidden when the uploader lost the right to upload meanwhile, Conflict for a
    second sdist (unless the file's policy tolerates it: then it is a warning), UploadRejected
    when the project would grow past its total size limit (or its file limit was lowered below
    this file meanwhile), and IntegrityError when the file's name or bytes were taken since the
    caller checked (``existing_identical``).
    """
    canonical = canonicalize_version(new.dist.version)
    if principal.kind is PrincipalKind.PUBLISHER:
        target = first(connection, _PUBLISHER_TARGET, {
            "name": new.dist.name, "publisher_id": principal.publisher_id,
            "canonical": canonical})
    else:
        target = first(connection, _TARGET, {"name": new.dist.name,
                                             "user_id": principal.user_id,
                                             "canonical": canonical})
    recording = _Recording(connection, new, principal, now)
    project = _ensure_project(recording, target, defaults)
    release = _ensure_release(recording, target, project, canonical)
    serial = _add_file(recording, project, release)
    look_back = new.provenance is not None or (target is not None and bool(target.attested))
    change = _add_provenance(recording, project, release, look_back=look_back)
    return Recorded(journal.Written(serial, {new.dist.name: frozenset({release.version})}),
                    change)


@dataclass
class _Recording:
    """One file's write transaction, and the journal changes its steps have made so far."""

    connection: Connection
    new: NewFile
    principal: Principal
    now: dt.datetime
    changes: list[journal.Change] = field(default_factory=list)


@dataclass(frozen=True)
class _TargetProject:
    """The project a file is recorded in, as the write transaction found or made it."""

    id: int
    display_name: str


@dataclass(frozen=True)
class _TargetRelease:
    """The release a file is recorded in, and the warnings that recording it adds."""

    id: int
    version: str
    is_new: bool
    warnings: tuple[Problem, ...]


def _ensure_project(recording: _Recording, target: Any | None, defaults: Limits
                    ) -> _TargetProject:
    """The file's project, checked for the uploader's right and its limits; made, with the
    uploader as its Owner, when it does not exist yet. ``target`` is the row ``_TARGET`` found
    (project, role and release), None for a new project."""
    connection, dist, principal = recording.connection, recording.new.dist, recording.principal
    size = recording.new.received.size
    access = ProjectAccess(*target[:7]) if target else None
    check_access(dist.name, access, principal)
    if access is not None:
        _check_size(access.name, access.total_size, size, access.limits(defaults))
        return _TargetProject(access.id, access.name)
    project_id = scalar(connection, _NEW_PROJECT, {
        "name": dist.display_name, "normalized_name": dist.name, "created": recording.now,
        "status": "active", "total_size": 0, "last_serial": 0,
    })
    execute(connection, _NEW_ROLE, {"project_id": project_id, "user_id": principal.user_id,
                                    "role": "Owner"})
    recording.changes += [journal.Change("create"),
                          journal.Change(f"add Owner {principal.name}")]
    _check_size(dist.display_name, 0, size, defaults)
    return _TargetProject(project_id, dist.display_name)


def _ensure_release(recording: _Recording, target: Any | None, project: _TargetProject,
                    canonical: str) -> _TargetRelease:
    """The file's release: the existing one (where a second sdist is refused, or only a
    warning when the file's policy tolerates it), or a new one."""
    new = recording.new
    if target is not None and target.release_id is not None:
        warnings: tuple[Problem, ...] = ()
        if new.dist.packagetype == "sdist" and target.has_sdist:
            second = Problem("filename", "Only one sdist may be uploaded per release.",
                             rules.SECOND_SDIST)
            if second.rule not in new.policy.tolerated:
                raise Conflict(second.reason, project=new.dist.display_name,
                               filename=new.dist.filename)
            warnings = (second,)
        return _TargetRelease(target.release_id, target.version, False, warnings)
    version = str(new.dist.version)
    release_id = _new_release(recording.connection, project.id, new, recording.principal,
                              canonical, now=recording.now)
    recording.changes.append(journal.Change("new release", version=version))
    return _TargetRelease(release_id, version, True, ())


def _add_file(recording: _Recording, project: _TargetProject, release: _TargetRelease) -> int:
    """Insert the file's row and take its name for good, append the journal entries of the
    whole recording, and grow the project; the serial of the last entry. The journal records
    the principal by its name, its one column for who acted (an admin import is journaled
    under the account it publishes for)."""
    connection, new, now = recording.connection, recording.new, recording.now
    dist, received = new.dist, new.received
    warnings = (*dist.warnings, *release.warnings)
    execute(connection, _NEW_FILE, {
        "release_id": release.id,
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
    recording.changes.append(journal.Change(f"add {dist.python_version} file {dist.filename}",
                                            version=release.version, filename=dist.filename))
    serial = journal.add_entries(connection, project=dist.name, changes=recording.changes,
                                 now=now, submitted_by=recording.principal.name)
    # Same normalised name, newer spelling: a new release renames the project, as on PyPI.
    execute(connection, _GROW_PROJECT, {
        "project_id": project.id, "size": received.size, "serial": serial,
        "display_name": dist.display_name if release.is_new else project.display_name,
    })
    return serial


def _add_provenance(recording: _Recording, project: _TargetProject, release: _TargetRelease,
                    *, look_back: bool) -> ProvenanceChange | None:
    """Store the file's provenance, compared with the release before its own (one query
    finds that release and its publishers, asked only when ``look_back``: the file has
    provenance, or some file of the project has); the flag, when the comparison raises one."""
    connection, new = recording.connection, recording.new
    rows = list(execute(connection, _PREVIOUS, {"project_id": project.id,
                                                "release_id": release.id})) if look_back else []
    previous = None
    if rows:
        previous = PreviousRelease(rows[0][0], frozenset(p for _v, p in rows if p is not None))
    return record_provenance(
        connection, NewFileRow(new.dist.name, release.version, release.id, new.dist.filename),
        new.provenance, previous, principal=recording.principal, now=recording.now)


def _check_size(display_name: str, total_size: int, size: int, limits: Limits) -> None:
    """UploadRejected, in PyPI's words, when a file of ``size`` bytes is over the project's
    file limit or would take its ``total_size`` past its total limit."""
    if size > limits.max_file_size:
        raise UploadRejected([Problem("content", f"File too large. Limit for project "
                                      f"'{display_name}' is {format_size(limits.max_file_size)}.")],
                             project=display_name)
    if total_size + size > limits.max_project_size:
        raise UploadRejected([Problem("content", "Project size too large. Limit for project "
                                      f"'{display_name}' total size is "
                                      f"{format_size(limits.max_project_size)}.")],
                             project=display_name)


def _new_release(connection: Connection, project_id: int, new: NewFile, principal: Principal,
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
        "uploader_id": principal.user_id,
    })
    return release_id
