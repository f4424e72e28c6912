"""A user leaving every project as their account is deleted: the projects' part of an account's
deletion (an ``AccountDependent`` of strongroom.accounts). ORM and Core in the deletion's own
session; each role removed is journaled and in the security history, and so is each team left
(``team.changed``); invitations to the user go with the account."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from strongroom.accounts import Released, User
from strongroom.db import journal
from strongroom.errors import Conflict
from strongroom.history import EventKind, History
from strongroom.projects.changes import journal_changes
from strongroom.projects.models import Project, Role, RoleInvitation, Team, TeamMember
from strongroom.projects.roles import OWNER


def sole_owner_of(session: Session, user: User) -> list[str]:
    """The names of the projects whose only Owner is ``user``, by normalised name."""
    owned = select(Role.project_id).where(Role.user_id == user.id, Role.role == OWNER)
    co_owned = select(Role.project_id).where(Role.project_id.in_(owned), Role.role == OWNER,
                                             Role.user_id != user.id)
    return list(session.scalars(
        select(Project.name).where(Project.id.in_(owned), Project.id.not_in(co_owned))
        .order_by(Project.normalized_name)))


def leave_projects(session: Session, user: User, *, now: dt.datetime, actor: str) -> Released:
    """Remove every role ``user`` holds, journaling ``remove <role> <username>`` in each
    project by ``actor`` at ``now`` and recording ``role.removed``; take them out of their
    teams (``team.changed``) and delete the invitations to them.

    Raises Conflict, before changing anything, when the user is the only Owner of a project:
    a project always keeps an Owner, so its ownership must pass to someone first. The message
    names every such project.
    """
    sole = sole_owner_of(session, user)
    if sole:
        raise Conflict(
            f"user {user.username!r} is the only Owner of {', '.join(map(repr, sole))}: a "
            "project always keeps an Owner, so transfer ownership first (make another user an "
            "Owner), then delete the account",
            project=sole[0] if len(sole) == 1 else None)
    held = session.execute(
        select(Role.id, Role.role, Project.name, Project.normalized_name)
        .join(Project, Project.id == Role.project_id)
        .where(Role.user_id == user.id).order_by(Project.normalized_name)).all()
    serial, changed = 0, {}
    for role in held:
        session.execute(delete(Role).where(Role.id == role.id))
        serial = journal_changes(session.connection(), project=role.normalized_name,
                                 changes=[journal.Change(f"remove {role.role} {user.username}")],
                                 now=now, submitted_by=actor)
        changed[role.normalized_name] = frozenset[str]()
        History.record(session, EventKind.ROLE_REMOVED, user=user, project=role.normalized_name,
                       now=now, details={"role": role.role, "by": actor,
                                         "reason": "account deleted"})
    teams = session.scalars(select(Team.name).join(TeamMember).where(
        TeamMember.user_id == user.id).order_by(Team.normalized_name)).all()
    session.execute(delete(TeamMember).where(TeamMember.user_id == user.id))
    for team in teams:
        History.record(session, EventKind.TEAM_CHANGED, user=user, now=now, details={
            "team": team, "action": "removed", "by": actor, "reason": "account deleted"})
    invited = len(session.execute(delete(RoleInvitation).where(RoleInvitation.user_id == user.id)
                                  .returning(RoleInvitation.id)).all())
    words = [f"{len(held)} role(s) removed ({', '.join(f'{r.role} of {r.name}' for r in held)})"
             if held else "", f"left team(s) {', '.join(teams)}" if teams else "",
             f"{invited} invitation(s) deleted" if invited else ""]
    return Released("; ".join(word for word in words if word),
                    journal.Written(serial, changed) if held else None)
