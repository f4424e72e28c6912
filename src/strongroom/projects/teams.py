"""Teams: named groups of users that hold roles in projects. Each member of a team may do in a
project what the team's role allows (upload; an Owner team's members also manage roles:
roles.py), but a team never counts as a project's last Owner.

Teams are the index administrator's to manage (``strongroom admin team``): a team hands a
role to many people at once, and no project Owner speaks for all of them. Its name is unique
without regard to case. Membership changes and a team's creation and deletion are recorded as
``team.changed`` (details ``team``, ``action``, ``by``; the member as the event's user); a
team's role in a project is journaled (``add Owner team core``) and recorded like a user's
(``role.added`` ... with ``team`` in the details and no user). Rare work: the ORM throughout.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from strongroom.accounts import User, user_named
from strongroom.db import journal
from strongroom.db.engine import Database
from strongroom.errors import Conflict, InvalidInput, NotFound
from strongroom.history import EventKind, History
from strongroom.projects.models import Project, Team, TeamMember, TeamRole
from strongroom.projects.roles import record_change, valid_role
from strongroom.projects.service import project_named

_TEAM_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,48}[A-Za-z0-9])?$")


@dataclass(frozen=True)
class TeamSummary:
    """A team, its members by username and its roles as (project, role) by project."""

    name: str
    members: tuple[str, ...]
    roles: tuple[tuple[str, str], ...]


def team_named(session: Session, name: str) -> Team:
    """The team called ``name`` (compared without case). Raises NotFound."""
    team = session.scalar(select(Team).where(Team.normalized_name == name.lower()))
    if team is None:
        raise NotFound(f"no team named {name!r}")
    return team


class TeamService:
    """Creates and deletes teams, changes their members and their roles in projects, each by
    ``actor`` (the journal's and the history's name for the administrator)."""

    def __init__(self, db: Database, *, on_commit: Callable[[journal.Written], None],
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self._db = db
        self._on_commit = on_commit
        self._clock = clock

    def create(self, name: str, *, actor: str) -> None:
        """Make the empty team ``name``. Raises InvalidInput for a malformed name (1-50
        letters, digits, '.', '_' or '-', starting and ending with a letter or digit),
        Conflict when a team of that name exists."""
        if not _TEAM_NAME.match(name):
            raise InvalidInput(f"team name {name!r}: use 1-50 ASCII letters, digits, '.', '_' "
                               "or '-', starting and ending with a letter or digit")
        with self._db.write() as session:
            taken = session.scalar(select(Team.name).where(Team.normalized_name == name.lower()))
            if taken is not None:
                raise Conflict(f"team {taken!r} already exists")
            session.add(Team(name=name, normalized_name=name.lower(), created=self._clock()))
            self._record(session, name, "created", actor)

    def delete(self, name: str, *, actor: str) -> TeamSummary:
        """Delete the team ``name``, its roles (each journaled in its project) and its
        memberships; what it had. Raises NotFound."""
        now = self._clock()
        with self._db.write() as session:
            team = team_named(session, name)
            summary = _summary(session, team)
            serial, changed = 0, dict[str, frozenset[str]]()
            for role in session.scalars(select(TeamRole).where(TeamRole.team_id == team.id)).all():
                project = session.get_one(Project, role.project_id)
                session.delete(role)
                serial = _record_role(session, project, team, f"remove {role.role}", actor=actor,
                                      now=now, kind=EventKind.ROLE_REMOVED, role=role.role)
                changed[project.normalized_name] = frozenset()
            session.execute(delete(TeamMember).where(TeamMember.team_id == team.id))
            session.delete(team)
            self._record(session, team.name, "deleted", actor, members=list(summary.members))
        if changed:
            self._on_commit(journal.Written(serial, changed))
        return summary

    def add_member(self, team: str, username: str, *, actor: str) -> bool:
        """Add ``username`` to ``team``; False when they were a member already. Raises
        NotFound."""
        with self._db.write() as session:
            found, user = team_named(session, team), user_named(session, username)
            if _membership(session, found, user) is not None:
                return False
            session.add(TeamMember(team_id=found.id, user_id=user.id))
            self._record(session, found.name, "added", actor, user=user)
            return True

    def remove_member(self, team: str, username: str, *, actor: str) -> None:
        """Remove ``username`` from ``team``. Raises NotFound (team, user, or not a
        member)."""
        with self._db.write() as session:
            found, user = team_named(session, team), user_named(session, username)
            membership = _membership(session, found, user)
            if membership is None:
                raise NotFound(f"{user.username!r} is not a member of team {found.name!r}")
            session.delete(membership)
            self._record(session, found.name, "removed", actor, user=user)

    def grant(self, team: str, project: str, role: str, *, actor: str) -> int | None:
        """Give ``team`` the ``role`` in ``project`` (or change the one it holds); the new
        serial, None when it held that role already. Raises NotFound, InvalidInput (role)."""
        role = valid_role(role)
        now = self._clock()
        with self._db.write() as session:
            found, target = team_named(session, team), project_named(session, project)
            held = session.scalar(select(TeamRole).where(TeamRole.team_id == found.id,
                                                         TeamRole.project_id == target.id))
            if held is not None and held.role == role:
                return None
            if held is None:
                session.add(TeamRole(team_id=found.id, project_id=target.id, role=role))
                serial = _record_role(session, target, found, f"add {role}", actor=actor,
                                      now=now, kind=EventKind.ROLE_ADDED, role=role)
            else:
                before, held.role = held.role, role
                serial = _record_role(session, target, found, f"change {before}", actor=actor,
                                      now=now, kind=EventKind.ROLE_CHANGED, role=role,
                                      to=f" to {role}", before=before)
        self._on_commit(journal.Written(serial, {target.normalized_name: frozenset()}))
        return serial

    def revoke(self, team: str, project: str, *, actor: str) -> int:
        """Take ``team``'s role in ``project`` away; the new serial. Raises NotFound (team,
        project, or no role held)."""
        now = self._clock()
        with self._db.write() as session:
            found, target = team_named(session, team), project_named(session, project)
            held = session.scalar(select(TeamRole).where(TeamRole.team_id == found.id,
                                                         TeamRole.project_id == target.id))
            if held is None:
                raise NotFound(f"team {found.name!r} holds no role in project {target.name!r}",
                               project=target.name)
            session.delete(held)
            serial = _record_role(session, target, found, f"remove {held.role}", actor=actor,
                                  now=now, kind=EventKind.ROLE_REMOVED, role=held.role)
        self._on_commit(journal.Written(serial, {target.normalized_name: frozenset()}))
        return serial

    def teams(self) -> list[TeamSummary]:
        """Every team, by name, with its members and roles."""
        with self._db.read() as session:
            return [_summary(session, team) for team in
                    session.scalars(select(Team).order_by(Team.normalized_name))]

    def _record(self, session: Session, team: str, action: str, actor: str, *,
                user: User | None = None, members: list[str] | None = None) -> None:
        details = {"team": team, "action": action, "by": actor}
        History.record(session, EventKind.TEAM_CHANGED, user=user, now=self._clock(),
                       details=details | ({"members": members} if members is not None else {}))


def _membership(session: Session, team: Team, user: User) -> TeamMember | None:
    return session.scalar(select(TeamMember).where(TeamMember.team_id == team.id,
                                                   TeamMember.user_id == user.id))


def _record_role(session: Session, project: Project, team: Team, words: str, *, actor: str,
                 now: dt.datetime, kind: EventKind, role: str, to: str = "",
                 before: str | None = None) -> int:
    """Journal ``<words> team <name><to>`` and record ``kind`` for the team's role."""
    details = {"team": team.name, "role": role} | ({"from": before} if before else {})
    return record_change(session, project, kind, f"{words} team {team.name}{to}", by=actor,
                         now=now, details=details)


def _summary(session: Session, team: Team) -> TeamSummary:
    members = session.scalars(select(User.username).join(TeamMember).where(
        TeamMember.team_id == team.id).order_by(func.lower(User.username)))
    roles = session.execute(select(Project.name, TeamRole.role).join(TeamRole).where(
        TeamRole.team_id == team.id).order_by(Project.normalized_name))
    return TeamSummary(team.name, tuple(members), tuple((name, role) for name, role in roles))
