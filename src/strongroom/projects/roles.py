"""Who holds which role in a project, and an Owner's changes to it: a role changed (Owner <->
Maintainer), removed, or ownership transferred.

The rules, in one place:

- ``Owner`` and ``Maintainer`` may both upload; an Owner also manages the project's roles. A
  user acts as an Owner when they hold the Owner role themselves or belong to a team that holds
  it. ``by`` is the acting Principal: a signed-in user is ``Principal(PrincipalKind.USER,
  username, user_id=id)``; the local administrator (``PrincipalKind.ADMIN``, the CLI) may do
  anything an Owner may, and also give a role without an invitation.
- Anyone may give up their own role (a Maintainer leaving), within the next rule.
- A project always keeps a user as Owner: a change that would leave it with no user holding
  the Owner role directly is refused (Conflict, naming the project). A team's Owner role does
  not count, because a team can be emptied or deleted by the administrator without any Owner
  agreeing; the journal and the history must always name a person answerable for the project.

Each change is journaled (``add Owner alice``, ``change Owner alice to Maintainer``, ``remove
Maintainer bob``) by ``by.name`` and recorded in the security history (``role.added``,
``role.changed``, ``role.removed``, details ``role``, ``from`` and ``by``) in the transaction
that makes it; ``on_commit`` hears of the journal entries once it committed. Writers are
serialised (``Database.write``), so two Owners demoting each other cannot both succeed. Rare
work: the ORM throughout.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, delete, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from strongroom.accounts import User, user_named
from strongroom.db import journal
from strongroom.db.engine import Database
from strongroom.domain.principals import Principal, PrincipalKind
from strongroom.errors import Conflict, Forbidden, InvalidInput, NotFound
from strongroom.history import EventKind, History
from strongroom.projects.changes import journal_changes
from strongroom.projects.models import (
    Project,
    Role,
    RoleInvitation,
    Team,
    TeamMember,
    TeamRole,
)
from strongroom.projects.service import project_named

OWNER = "Owner"
MAINTAINER = "Maintainer"
ROLES = (OWNER, MAINTAINER)


@dataclass(frozen=True)
class RoleHolder:
    """One role in a project, held by the user ``name``, or by the team ``name`` when
    ``team`` is true; a team's ``members`` by username (each may do what the role allows)."""

    name: str
    role: str
    team: bool = False
    members: tuple[str, ...] = ()


def valid_role(role: str) -> str:
    """``role`` spelt as stored (``owner`` -> ``Owner``); InvalidInput for anything else."""
    for known in ROLES:
        if role.casefold() == known.casefold():
            return known
    raise InvalidInput(f"role {role!r}: a role is Owner or Maintainer")


def team_role(project_id: InstrumentedAttribute[int] | int,
              user_id: ColumnElement[int | None] | int) -> ScalarSelect[str | None]:
    """The strongest role the user ``user_id``'s teams hold in the project ``project_id`` (NULL:
    none), as a scalar subquery: the upload's access check adds it to its one query, so that a
    team member may upload with no extra round trip. "Owner" sorts after "Maintainer", so the
    maximum is the stronger."""
    return (select(func.max(TeamRole.role))
            .join(TeamMember, TeamMember.team_id == TeamRole.team_id)
            .where(TeamRole.project_id == project_id, TeamMember.user_id == user_id)
            .scalar_subquery())


def acting_role(session: Session, project: Project, by: Principal) -> str | None:
    """The role ``by`` acts with in ``project``: Owner for the administrator; for a user the
    stronger of their own role and their teams' (None: neither)."""
    if by.kind is PrincipalKind.ADMIN:
        return OWNER
    if by.user_id is None:
        return None
    own = select(Role.role).where(Role.project_id == project.id, Role.user_id == by.user_id)
    held = session.execute(select(own.scalar_subquery(), team_role(project.id, by.user_id))).one()
    return OWNER if OWNER in held else held[0] or held[1]


def require_owner(session: Session, project: Project, by: Principal, doing: str) -> None:
    """Forbidden unless ``by`` acts as an Owner of ``project``; ``doing`` says what was tried."""
    if acting_role(session, project, by) != OWNER:
        raise Forbidden(f"{by.name!r} may not {doing} in project {project.name!r}: only its "
                        "Owners may", project=project.name, principal=by)


def keeps_an_owner(session: Session, project: Project, losing: User) -> None:
    """Conflict when ``losing`` is the only user holding the Owner role in ``project``."""
    others = session.scalar(select(func.count()).select_from(Role).where(
        Role.project_id == project.id, Role.role == OWNER, Role.user_id != losing.id))
    if not others:
        raise Conflict(f"{losing.username!r} is the only Owner of project {project.name!r}: a "
                       "project always keeps a user as Owner (a team's role does not count), "
                       "so make another user an Owner first", project=project.name)


def record_change(session: Session, project: Project, kind: EventKind, action: str, *,
                  by: str, now: dt.datetime, user: User | None = None,
                  details: Mapping[str, Any]) -> int:
    """Journal ``action`` in ``project`` by ``by`` and record ``kind`` about ``user`` (None:
    a team's role, named in ``details``) in the history; the journal's new serial."""
    session.flush()
    serial = journal_changes(session.connection(), project=project.normalized_name,
                             changes=[journal.Change(action)], now=now, submitted_by=by)
    History.record(session, kind, user=user, project=project.normalized_name, now=now,
                   details={**details, "by": by})
    return serial


def add_role(session: Session, project: Project, user: User, role: str, *, by: str,
             now: dt.datetime, invited_by: str | None = None) -> int:
    """Give ``user`` (who holds none) ``role``, ending any invitation of theirs to it."""
    session.execute(delete(RoleInvitation).where(RoleInvitation.project_id == project.id,
                                                 RoleInvitation.user_id == user.id))
    session.add(Role(project_id=project.id, user_id=user.id, role=role))
    details = {"role": role} | ({"invited_by": invited_by} if invited_by else {})
    return record_change(session, project, EventKind.ROLE_ADDED, f"add {role} {user.username}",
                         by=by, now=now, user=user, details=details)


class RoleService:
    """Lists and changes the roles of projects (invitations: InvitationService; teams:
    TeamService). ``on_commit`` gets each committed change's journal entries."""

    def __init__(self, db: Database, *, on_commit: Callable[[journal.Written], None],
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self._db = db
        self._on_commit = on_commit
        self._clock = clock

    def roles(self, project: str) -> list[RoleHolder]:
        """Every role in ``project``: its users' by username, then its teams' by team name,
        with their members. Raises NotFound for an unknown project."""
        with self._db.read() as session:
            found = project_named(session, project)
            users = session.execute(select(User.username, Role.role).join(Role).where(
                Role.project_id == found.id).order_by(func.lower(User.username))).all()
            teams = session.execute(select(Team.id, Team.name, TeamRole.role).join(TeamRole)
                                    .where(TeamRole.project_id == found.id)
                                    .order_by(Team.normalized_name)).all()
            members: dict[int, list[str]] = {team_id: [] for team_id, _name, _role in teams}
            for team_id, username in session.execute(
                    select(TeamMember.team_id, User.username)
                    .join(User, User.id == TeamMember.user_id)
                    .where(TeamMember.team_id.in_(members))
                    .order_by(func.lower(User.username))):
                members[team_id].append(username)
        return ([RoleHolder(name, role) for name, role in users]
                + [RoleHolder(name, role, team=True, members=tuple(members[team_id]))
                   for team_id, name, role in teams])

    def acting_role(self, project: str, *, by: Principal) -> str | None:
        """The role ``by`` acts with in ``project``: their own or their teams', the stronger
        (Owner for the administrator; None: no role). Raises NotFound for an unknown
        project."""
        with self._db.read() as session:
            return acting_role(session, project_named(session, project), by)

    def held_by(self, user_id: int) -> list[tuple[str, str]]:
        """The projects where the user ``user_id`` holds a role, their own or a team's (the
        stronger), as (project name, role), by name."""
        with self._db.read() as session:
            own = select(Role.role).where(Role.project_id == Project.id,
                                          Role.user_id == user_id).scalar_subquery()
            rows = session.execute(
                select(Project.name, own, team_role(Project.id, user_id))
                .where(or_(own.is_not(None), team_role(Project.id, user_id).is_not(None)))
                .order_by(Project.normalized_name)).all()
        return [(name, OWNER if OWNER in (mine, team) else (mine or team or MAINTAINER))
                for name, mine, team in rows]

    def set_role(self, project: str, username: str, role: str, *, by: Principal) -> int | None:
        """Give ``username`` the ``role`` in ``project``; the new serial, None when they held
        it already. An Owner changes a role a user holds (demoting an Owner, themselves
        included, while another user stays Owner); adding a role to a user who holds none is
        the administrator's alone: an Owner invites them (InvitationService.invite).

        Raises NotFound (project, user), InvalidInput (role), Forbidden (``by`` is not an
        Owner, or adds a role without being the administrator), Conflict (no user would
        remain Owner)."""
        role = valid_role(role)
        with self._db.write() as session:
            found, user = project_named(session, project), user_named(session, username)
            require_owner(session, found, by, "change roles")
            serial = _set(session, found, user, role, by=by, now=self._clock())
        return self._committed(serial, found)

    def remove_role(self, project: str, username: str, *, by: Principal) -> int:
        """Remove the role ``username`` holds in ``project``, by an Owner or by the user
        themselves; the new serial. Raises NotFound (project, user, or no role held),
        Forbidden, Conflict (it is the last Owner's)."""
        with self._db.write() as session:
            found, user = project_named(session, project), user_named(session, username)
            if by.user_id != user.id:
                require_owner(session, found, by, "remove roles")
            held = _held(session, found, user)
            if held is None:
                raise NotFound(f"{user.username!r} holds no role in project {found.name!r}",
                               project=found.name)
            serial = _remove(session, found, held, by=by.name, now=self._clock())
        self._committed(serial, found)
        return serial

    def transfer(self, project: str, username: str, *, by: Principal,
                 step_down: bool = False) -> int | None:
        """Make ``username`` an Owner of ``project`` (promoting a Maintainer; the administrator
        may also make a user with no role an Owner) and, with ``step_down``, remove ``by``'s
        own role, in one transaction; the last new serial, None when nothing changed. Raises
        like ``set_role``, and InvalidInput when ``by`` steps down holding no role of their
        own (the administrator, or ``username`` themselves)."""
        with self._db.write() as session:
            found, user = project_named(session, project), user_named(session, username)
            require_owner(session, found, by, "transfer ownership")
            mine = None
            if step_down:
                mine = (session.scalar(select(Role).where(Role.project_id == found.id,
                                                          Role.user_id == by.user_id))
                        if by.user_id not in (None, user.id) else None)
                if mine is None:
                    raise InvalidInput(f"{by.name!r} holds no role in project {found.name!r} "
                                       "other than the new Owner's, so cannot step down",
                                       project=found.name)
            now = self._clock()
            serial = _set(session, found, user, OWNER, by=by, now=now)
            if mine is not None:
                serial = _remove(session, found, mine, by=by.name, now=now,
                                 reason="stepped down")
        return self._committed(serial, found)

    def _committed(self, serial: int | None, project: Project) -> int | None:
        if serial is not None:
            self._on_commit(journal.Written(serial, {project.normalized_name: frozenset()}))
        return serial


def _held(session: Session, project: Project, user: User) -> Role | None:
    return session.scalar(select(Role).where(Role.project_id == project.id,
                                             Role.user_id == user.id))


def _set(session: Session, project: Project, user: User, role: str, *, by: Principal,
         now: dt.datetime) -> int | None:
    """Give ``user`` ``role``: add it (the administrator only), change it, or nothing."""
    held = _held(session, project, user)
    if held is None:
        if by.kind is not PrincipalKind.ADMIN:
            raise Forbidden(f"{user.username!r} holds no role in project {project.name!r}: "
                            "invite them, and they accept or decline",
                            project=project.name, principal=by)
        return add_role(session, project, user, role, by=by.name, now=now)
    if held.role == role:
        return None
    if held.role == OWNER:
        keeps_an_owner(session, project, user)
    before, held.role = held.role, role
    return record_change(session, project, EventKind.ROLE_CHANGED,
                         f"change {before} {user.username} to {role}", by=by.name, now=now,
                         user=user, details={"role": role, "from": before})


def _remove(session: Session, project: Project, held: Role, *, by: str, now: dt.datetime,
            reason: str | None = None) -> int:
    """Remove the role ``held`` unless it is the last user's Owner role."""
    if held.role == OWNER:
        keeps_an_owner(session, project, held.user)
    session.delete(held)
    details = {"role": held.role} | ({"reason": reason} if reason else {})
    return record_change(session, project, EventKind.ROLE_REMOVED,
                         f"remove {held.role} {held.user.username}", by=by, now=now,
                         user=held.user, details=details)
