"""Teams: named groups of users that hold roles in projects. Each member of a team may do in a
project what the team's role allows (upload; an Owner team's members also manage roles:
roles.py), but a team never counts as a project's last Owner.

Teams themselves are the index administrator's to manage (``strongroom admin team``): a team
hands a role to many people at once, and no project Owner speaks for all of them. Its name is
unique without regard to case. Membership changes and a team's creation and deletion are
recorded as ``team.changed`` (details ``team``, ``action``, ``by``; the member as the event's
user); a team's role in a project is journaled (``add Owner team core``) and recorded like a
user's (``role.added`` ... with ``team`` in the details and no user).

A team's role in a project is given, changed and taken away by the administrator or by the
project's Owners (``grant``, ``revoke``, with the acting Principal). An Owner gives a team a
role, or a stronger one, only when they are a member of it: the team's members never agreed
to answer for the project (nor to have their upload rights spread to it), and one of them is
asking. Weakening a team's role (Owner to Maintainer) or taking it away asks no such consent,
like removing a user's role. Rare work: the ORM throughout.
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
from strongroom.domain.principals import Principal, PrincipalKind
from strongroom.errors import Conflict, Forbidden, InvalidInput, NotFound
from strongroom.history import EventKind, History
from strongroom.projects.models import Project, Team, TeamMember, TeamRole
from strongroom.projects.roles import OWNER, record_change, require_owner, valid_role
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
    """Creates and deletes teams and changes their members, each by ``actor`` (the journal's
    and the history's name for the administrator); gives teams roles in projects and takes
    them away, by the administrator or a project's Owner (``by``)."""

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
            if _membership(session, found, user.id) is not None:
                return False
            session.add(TeamMember(team_id=found.id, user_id=user.id))
            self._record(session, found.name, "added", actor, user=user)
            return True

    def remove_member(self, team: str, username: str, *, actor: str) -> None:
        """Remove ``username`` from ``team``. Raises NotFound (team, user, or not a
        member)."""
        with self._db.write() as session:
            found, user = team_named(session, team), user_named(session, username)
            membership = _membership(session, found, user.id)
            if membership is None:
                raise NotFound(f"{user.username!r} is not a member of team {found.name!r}")
            session.delete(membership)
            self._record(session, found.name, "removed", actor, user=user)

    def grant(self, team: str, project: str, role: str, *, by: Principal) -> int | None:
        """Give ``team`` the ``role`` in ``project`` (or change the one it holds), journaled by
        ``by.name``; the new serial, None when it held that role already.

        ``by`` is the administrator, or an Owner of the project who, to give the team a role
        or a stronger one (Maintainer to Owner), is a member of it; making an Owner team a
        Maintainer team asks no membership. Raises NotFound (project, team), InvalidInput
        (role), Forbidden (``by`` is not an Owner, or not a member where it must be)."""
        role = valid_role(role)
        now = self._clock()
        with self._db.write() as session:
            target = project_named(session, project)
            require_owner(session, target, by, "change teams' roles")
            found = team_named(session, team)
            held = _team_role(session, found, target)
            if held is not None and held.role == role:
                return None
            if held is None or role == OWNER:
                _require_member(session, found, target, by, role)
            if held is None:
                session.add(TeamRole(team_id=found.id, project_id=target.id, role=role))
                serial = _record_role(session, target, found, f"add {role}", actor=by.name,
                                      now=now, kind=EventKind.ROLE_ADDED, role=role)
            else:
                before, held.role = held.role, role
                serial = _record_role(session, target, found, f"change {before}", actor=by.name,
                                      now=now, kind=EventKind.ROLE_CHANGED, role=role,
                                      to=f" to {role}", before=before)
        self._on_commit(journal.Written(serial, {target.normalized_name: frozenset()}))
        return serial

    def revoke(self, team: str, project: str, *, by: Principal) -> int:
        """Take ``team``'s role in ``project`` away, by the administrator or any Owner of the
        project, journaled by ``by.name``; the new serial. Raises NotFound (project, team, or
        no role held), Forbidden (``by`` is not an Owner)."""
        now = self._clock()
        with self._db.write() as session:
            target = project_named(session, project)
            require_owner(session, target, by, "change teams' roles")
            found = team_named(session, team)
            held = _team_role(session, found, target)
            if held is None:
                raise NotFound(f"team {found.name!r} holds no role in project {target.name!r}",
                               project=target.name)
            session.delete(held)
            serial = _record_role(session, target, found, f"remove {held.role}", actor=by.name,
                                  now=now, kind=EventKind.ROLE_REMOVED, role=held.role)
        self._on_commit(journal.Written(serial, {target.normalized_name: frozenset()}))
        return serial

    def teams(self, *, member_id: int | None = None) -> list[TeamSummary]:
        """Every team, or with ``member_id`` those the user ``member_id`` belongs to, by name,
        with its members and roles."""
        query = select(Team).order_by(Team.normalized_name)
        if member_id is not None:
            query = query.where(Team.id.in_(
                select(TeamMember.team_id).where(TeamMember.user_id == member_id)))
        with self._db.read() as session:
            return [_summary(session, team) for team in session.scalars(query)]

    def _record(self, session: Session, team: str, action: str, actor: str, *,
                user: User | None = None, members: list[str] | None = None) -> None:
        details = {"team": team, "action": action, "by": actor}
        History.record(session, EventKind.TEAM_CHANGED, user=user, now=self._clock(),
                       details=details | ({"members": members} if members is not None else {}))


def _membership(session: Session, team: Team, user_id: int | None) -> TeamMember | None:
    return session.scalar(select(TeamMember).where(TeamMember.team_id == team.id,
                                                   TeamMember.user_id == user_id))


def _team_role(session: Session, team: Team, project: Project) -> TeamRole | None:
    return session.scalar(select(TeamRole).where(TeamRole.team_id == team.id,
                                                 TeamRole.project_id == project.id))


def _require_member(session: Session, team: Team, project: Project, by: Principal,
                    role: str) -> None:
    """Forbidden unless ``by`` is the administrator or a member of ``team``, which is to get
    ``role`` in ``project``."""
    if by.kind is PrincipalKind.ADMIN or _membership(session, team, by.user_id) is not None:
        return
    raise Forbidden(f"{by.name!r} may not make team {team.name!r} {role} of project "
                    f"{project.name!r}: an Owner gives a role only to a team they are a member "
                    "of, since its members have not agreed to answer for the project (the "
                    "index's administrator manages teams)", project=project.name, principal=by)


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
