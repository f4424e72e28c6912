"""Admin work on projects: creating one empty for its owner, setting its own limits, and a
summary of it (its users' and teams' roles among it). Rare work, so the ORM throughout; each
change is journaled like an upload's."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from strongroom.accounts import User, user_named
from strongroom.config import Limits, format_size
from strongroom.db import journal
from strongroom.db.engine import Database
from strongroom.domain.metadata import MAX_NAME_LENGTH
from strongroom.domain.names import is_valid_project_name, normalize
from strongroom.errors import Conflict, InvalidInput, NotFound
from strongroom.projects.changes import journal_changes
from strongroom.projects.models import Project, Role, Team, TeamRole


class Keep(enum.Enum):
    """The type of ``KEEP``: leave a limit as it is."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class ProjectSummary:
    """One project as ``strongroom admin project show`` prints it: its users' roles by
    username and its teams' by team name. Sizes in bytes; an own limit of None means the
    index's default, which ``limits`` then holds."""

    name: str
    status: str
    created: dt.datetime
    owners: tuple[str, ...]
    maintainers: tuple[str, ...]
    owner_teams: tuple[str, ...]
    maintainer_teams: tuple[str, ...]
    releases: int
    files: int
    total_size: int
    upload_limit: int | None
    total_size_limit: int | None
    limits: Limits


class ProjectService:
    """Creates projects for their owners and sets their limits; ``defaults`` are the index's
    own limits, which a project's replace."""

    def __init__(
        self,
        db: Database,
        defaults: Limits,
        *,
        on_commit: Callable[[journal.Written], None],
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._db = db
        self._defaults = defaults
        self._on_commit = on_commit
        self._clock = clock

    def create(self, name: str, *, owner: str, actor: str) -> int:
        """Make the project ``name`` with no releases, ``owner`` its Owner; the new serial.

        Journaled as an upload's first file makes a project ("create", "add Owner ..."), by
        ``actor``. Raises InvalidInput for a name PyPI would refuse, NotFound for an unknown
        user, Conflict when a project of that normalised name exists.
        """
        if len(name) > MAX_NAME_LENGTH or not is_valid_project_name(name):
            raise InvalidInput(f"project name {name!r}: use ASCII letters, digits and '._-' "
                               f"inside, at most {MAX_NAME_LENGTH} characters")
        now = self._clock()
        with self._db.write() as session:
            user = user_named(session, owner)
            project, serial = new_project(session, name, user, actor=actor, now=now)
        self._on_commit(journal.Written(serial, {project.normalized_name: frozenset()}))
        return serial

    def set_limits(self, name: str, *, file_size: int | Literal[Keep.KEEP] | None = KEEP,
                   total: int | Literal[Keep.KEEP] | None = KEEP, actor: str) -> int | None:
        """Set the project's own file size and total size limits in bytes (None: back to the
        index's default; ``KEEP``: unchanged), journaling each change by ``actor``; the new
        serial, or None when nothing changed. Uploads under way are held to the new limits
        when they record. Raises NotFound for an unknown project, InvalidInput for a size
        under one byte."""
        for size in (file_size, total):
            if isinstance(size, int) and size < 1:
                raise InvalidInput(f"limit {size}: a limit is at least one byte")
        with self._db.write() as session:
            project = project_named(session, name)
            changes = []
            for column, words, size in (("upload_limit", "file size limit", file_size),
                                        ("total_size_limit", "total size limit", total)):
                if size is KEEP or getattr(project, column) == size:
                    continue
                setattr(project, column, size)
                shown = "the default" if size is None else format_size(size)
                changes.append(journal.Change(f"set {words} to {shown}"))
            if not changes:
                return None
            session.flush()
            normalized = project.normalized_name
            serial = journal_changes(session.connection(), project=normalized, changes=changes,
                                     now=self._clock(), submitted_by=actor)
        self._on_commit(journal.Written(serial, {normalized: frozenset()}))
        return serial

    def summary(self, name: str) -> ProjectSummary:
        """The project's summary; NotFound for an unknown project."""
        # Releases and files are the upload's tables, and upload imports this package (a first
        # upload makes its project): imported at use, so that importing either package first
        # works (at the top, tokens -> projects -> upload -> tokens would not).
        from strongroom.upload import File, Release  # noqa: PLC0415
        with self._db.read() as session:
            project = project_named(session, name)
            roles = session.execute(
                select(Role.role, User.username).join(User, Role.user_id == User.id)
                .where(Role.project_id == project.id).order_by(User.username)).all()
            teams = session.execute(
                select(TeamRole.role, Team.name).join(Team, TeamRole.team_id == Team.id)
                .where(TeamRole.project_id == project.id).order_by(Team.normalized_name)).all()
            releases, files = session.execute(
                select(func.count(func.distinct(Release.id)), func.count(File.id))
                .select_from(Release).outerjoin(File, File.release_id == Release.id)
                .where(Release.project_id == project.id)).one()
            return ProjectSummary(
                name=project.name,
                status=project.status,
                created=project.created,
                owners=tuple(user for role, user in roles if role == "Owner"),
                maintainers=tuple(user for role, user in roles if role == "Maintainer"),
                owner_teams=tuple(team for role, team in teams if role == "Owner"),
                maintainer_teams=tuple(team for role, team in teams if role == "Maintainer"),
                releases=releases,
                files=files,
                total_size=project.total_size,
                upload_limit=project.upload_limit,
                total_size_limit=project.total_size_limit,
                limits=self._defaults.for_project(project.upload_limit,
                                                  project.total_size_limit),
            )


def new_project(session: Session, name: str, owner: User, *, actor: str, now: dt.datetime
                ) -> tuple[Project, int]:
    """Make the project ``name`` (a valid name) with no releases in ``session``'s write
    transaction, ``owner`` its Owner, journaled by ``actor`` ("create", "add Owner ..."); the
    project and the new serial, which the caller hands its commit hook once committed. Raises
    Conflict when a project of that normalised name exists."""
    normalized = normalize(name)
    existing = session.scalar(select(Project.name).where(Project.normalized_name == normalized))
    if existing is not None:
        raise Conflict(f"project {existing!r} already exists", project=existing)
    project = Project(name=name, normalized_name=normalized, created=now, status="active",
                      total_size=0, last_serial=0)
    session.add(project)
    session.flush()
    session.add(Role(project_id=project.id, user_id=owner.id, role="Owner"))
    session.flush()
    serial = journal_changes(
        session.connection(), project=normalized,
        changes=[journal.Change("create"), journal.Change(f"add Owner {owner.username}")],
        now=now, submitted_by=actor)
    return project, serial


def project_named(session: Session, name: str) -> Project:
    """The project called ``name`` (any spelling of it), read in ``session``. Raises NotFound."""
    project = session.scalar(select(Project).where(Project.normalized_name == normalize(name)))
    if project is None:
        raise NotFound(f"no project named {name!r}")
    return project
