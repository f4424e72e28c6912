"""Which projects are critical: the most downloaded (the top ``share`` of all projects by
downloads over a trailing ``window``; PyPI's were its top 1% over six months), and those an
admin marked. Being critical is sticky: a project that falls out of the ranking stays critical
until an admin unmarks it, so that its maintainers' second factors do not come and go with
download counts. An admin's mark outlasts the ranking either way.

A project that becomes critical is recorded in the security history; ``rank`` returns who must
be told (its owners and maintainers, with their verified addresses) so that the caller can
mail them. Uses the ORM: a daily job and admin commands.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from strongroom.accounts import User
from strongroom.critical.models import CriticalProject, ProjectDownloads
from strongroom.db.engine import Database
from strongroom.domain.names import normalize
from strongroom.errors import InvalidInput, NotFound
from strongroom.history import EventKind, History
from strongroom.projects import Project, Role

DEFAULT_SHARE = 0.01
DEFAULT_WINDOW = dt.timedelta(days=183)
RANKING, ADMIN = "ranking", "admin"


@dataclass(frozen=True)
class Person:
    """Someone to tell: a user with a role on the project, and their verified addresses."""

    username: str
    role: str
    addresses: tuple[str, ...]


@dataclass(frozen=True)
class NewlyCritical:
    project: str
    downloads: int
    people: tuple[Person, ...]


@dataclass(frozen=True)
class Ranking:
    """What ``rank`` found: how many projects make the top share, and the projects that became
    critical by it (already critical ones are not repeated)."""

    top: int
    ranked: list[tuple[str, int]]
    newly_critical: list[NewlyCritical]


@dataclass(frozen=True)
class CriticalView:
    project: str
    since: dt.datetime | None
    source: str | None
    pinned: str | None

    @property
    def critical(self) -> bool:
        return self.since is not None


def _people(session: Session, project: str) -> tuple[Person, ...]:
    rows = session.execute(
        select(User, Role.role).join(Role, Role.user_id == User.id)
        .join(Project, Project.id == Role.project_id)
        .where(Project.normalized_name == project).order_by(User.username)).all()
    return tuple(Person(user.username, role,
                        tuple(e.address for e in user.emails if e.verified)) for user, role in rows)


def _known_project(session: Session, name: str) -> str:
    project = normalize(name)
    if session.scalar(select(Project.id).where(Project.normalized_name == project)) is None:
        raise NotFound(f"no project named {name!r}")
    return project


class CriticalProjects:
    """Ranking projects by downloads, and admins' marks."""

    def __init__(self, db: Database) -> None:
        self._db = db

    def rank(self, *, now: dt.datetime, share: float = DEFAULT_SHARE,
             window: dt.timedelta = DEFAULT_WINDOW, dry_run: bool = False) -> Ranking:
        """Make the top ``share`` (0 < share <= 1) of projects by downloads since
        ``now - window`` critical, unless an admin pinned one off. Projects never downloaded
        are never ranked. Raises InvalidInput for a share out of range."""
        if not 0 < share <= 1:
            raise InvalidInput(f"share {share}: give a fraction above 0 and at most 1")
        since = (now - window).date()
        with self._db.write() as session:
            projects = session.scalar(select(func.count()).select_from(Project)) or 0
            top = math.ceil(projects * share) if projects else 0
            total = func.sum(ProjectDownloads.count)
            ranked = [(row.project, int(row.downloads)) for row in session.execute(
                select(ProjectDownloads.project, total.label("downloads"))
                .where(ProjectDownloads.day >= since)
                .group_by(ProjectDownloads.project)
                .order_by(total.desc(), ProjectDownloads.project).limit(top))]
            newly = []
            for project, downloads in ranked:
                row = session.get(CriticalProject, project)
                if row is not None and (row.since is not None or row.pinned == "off"):
                    continue
                newly.append(NewlyCritical(project, downloads, _people(session, project)))
                if not dry_run:
                    self._make_critical(session, row, project, source=RANKING, now=now,
                                        details={"downloads": downloads})
            if dry_run:
                session.rollback()
            return Ranking(top, ranked, newly)

    def _make_critical(self, session: Session, row: CriticalProject | None, project: str, *,
                       source: str, now: dt.datetime, details: dict[str, object]) -> None:
        if row is None:
            row = CriticalProject(project=project)
            session.add(row)
        row.since, row.source = now, source
        History.record(session, EventKind.PROJECT_CRITICAL, project=project, now=now,
                       details={"source": source, **details})

    def mark(self, name: str, *, critical: bool | None, now: dt.datetime,
             actor: str) -> NewlyCritical | None:
        """An admin's word on project ``name``: critical (``True``), never critical by the
        ranking (``False``), or back to the ranking's say (``None``: a project the ranking
        made critical stays so). Returns whom to tell when it became critical. Raises
        NotFound."""
        with self._db.write() as session:
            project = _known_project(session, name)
            row = session.get(CriticalProject, project)
            was_critical = row is not None and row.since is not None
            if critical is None:
                if row is not None:
                    row.pinned = None
                    if row.source == ADMIN:
                        self._unmake(session, row, project, now, actor)
                return None
            if row is None:
                row = CriticalProject(project=project)
                session.add(row)
            row.pinned = "on" if critical else "off"
            if critical and not was_critical:
                self._make_critical(session, row, project, source=ADMIN, now=now,
                                    details={"by": actor})
                return NewlyCritical(project, 0, _people(session, project))
            if not critical and was_critical:
                self._unmake(session, row, project, now, actor)
            return None

    def _unmake(self, session: Session, row: CriticalProject, project: str, now: dt.datetime,
                actor: str) -> None:
        if row.since is None:
            return
        row.since, row.source = None, None
        History.record(session, EventKind.PROJECT_NOT_CRITICAL, project=project, now=now,
                       details={"by": actor})

    def all(self) -> list[CriticalView]:
        """Every project that is critical or pinned by an admin, by name."""
        with self._db.read() as session:
            return [CriticalView(r.project, r.since, r.source, r.pinned) for r in
                    session.scalars(select(CriticalProject).order_by(CriticalProject.project))]

    def since(self, project: str) -> dt.datetime | None:
        """When ``project`` (normalised) became critical; None when it is not."""
        with self._db.read() as session:
            return session.scalar(select(CriticalProject.since)
                                  .where(CriticalProject.project == project))
