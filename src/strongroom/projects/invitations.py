"""Invitations to a role: an Owner invites a user, who accepts (the role is theirs) or declines;
an Owner may revoke it while it is open, and it expires after INVITATION_LIFETIME.

Nobody is given a role they did not accept (only the administrator may give one directly:
RoleService.set_role). The invitee acts on their invitation by being signed in as themselves
(``by.user_id``), so an invitation carries no secret: a mailed link only needs to lead them to
it. This module sends no mail; ``invite`` returns what one needs (Invitation.email is None
when the invitee has no verified primary address to send it to).

An invitation is open from ``invite`` until it is accepted, declined or revoked, which delete
its row; an expired one stays (``expired``) until then or until a new invitation replaces it.
One per project and user, which the table's unique key holds too. Inviting, declining and
revoking change no project state, so they are in the security history only (``role.invited``,
``role.invitation.declined``, ``role.invitation.revoked``); accepting journals the new role and
records ``role.added``. Rare work: the ORM throughout.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from strongroom.accounts import User, user_named
from strongroom.db import journal
from strongroom.db.engine import Database
from strongroom.domain.names import normalize
from strongroom.domain.principals import Principal
from strongroom.errors import Conflict, NotFound
from strongroom.history import EventKind, History, iso_utc
from strongroom.projects.models import Project, Role, RoleInvitation
from strongroom.projects.roles import add_role, require_owner, valid_role
from strongroom.projects.service import project_named

INVITATION_LIFETIME = dt.timedelta(days=7)


@dataclass(frozen=True)
class Invitation:
    """An invitation as a mail or a page tells it. ``project`` is the project's name as shown;
    ``invited_by`` a username, or "admin"; times are UTC. ``email`` is the invitee's primary
    address when it is verified (where to send the mail), else None."""

    project: str
    username: str
    role: str
    invited_by: str
    created: dt.datetime
    expires: dt.datetime
    email: str | None

    def expired(self, now: dt.datetime) -> bool:
        """Whether it can no longer be accepted at ``now``."""
        return now >= self.expires


def _invitation(row: RoleInvitation, project: Project, user: User) -> Invitation:
    primary = user.primary_email
    return Invitation(project=project.name, username=user.username, role=row.role,
                      invited_by=row.invited_by, created=row.created, expires=row.expires,
                      email=primary.address if primary and primary.verified else None)


def _open(session: Session, project: Project, user_id: int | None) -> RoleInvitation | None:
    return session.scalar(select(RoleInvitation).where(RoleInvitation.project_id == project.id,
                                                       RoleInvitation.user_id == user_id))


class InvitationService:
    """Invitations to projects' roles; ``on_commit`` gets the journal entries of an accepted
    one once committed."""

    def __init__(self, db: Database, *, on_commit: Callable[[journal.Written], None],
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
                 lifetime: dt.timedelta = INVITATION_LIFETIME) -> None:
        self._db = db
        self._on_commit = on_commit
        self._clock = clock
        self._lifetime = lifetime

    def invite(self, project: str, username: str, role: str, *, by: Principal) -> Invitation:
        """Invite ``username`` to ``role`` in ``project``, open for the lifetime from now;
        returns what the invitation mail needs. An expired invitation of theirs is replaced.

        Raises NotFound (project, user), InvalidInput (role), Forbidden (``by`` is not an
        Owner), Conflict (they hold a role there already, or an open invitation)."""
        role = valid_role(role)
        now = self._clock()
        with self._db.write() as session:
            found, user = project_named(session, project), user_named(session, username)
            require_owner(session, found, by, "invite users")
            held = session.scalar(select(Role.role).where(Role.project_id == found.id,
                                                          Role.user_id == user.id))
            if held is not None:
                raise Conflict(f"{user.username!r} is already {held} of project "
                               f"{found.name!r}: change their role instead", project=found.name)
            existing = _open(session, found, user.id)
            if existing is not None and existing.expires > now:
                raise Conflict(f"{user.username!r} is already invited to project "
                               f"{found.name!r} as {existing.role} until "
                               f"{iso_utc(existing.expires)}: revoke that invitation first",
                               project=found.name)
            if existing is not None:
                session.delete(existing)
                session.flush()
            row = RoleInvitation(project_id=found.id, user_id=user.id, role=role,
                                 invited_by=by.name, created=now, expires=now + self._lifetime)
            session.add(row)
            History.record(session, EventKind.ROLE_INVITED, user=user, project=found.name,
                           now=now, details={"role": role, "by": by.name,
                                             "expires": iso_utc(row.expires)})
            return _invitation(row, found, user)

    def invitations(self, *, project: str | None = None, username: str | None = None
                    ) -> list[Invitation]:
        """The open and expired invitations, of ``project`` and of ``username`` when given,
        by project then username."""
        query = (select(RoleInvitation, Project, User)
                 .join(Project, Project.id == RoleInvitation.project_id)
                 .join(User, User.id == RoleInvitation.user_id)
                 .options(selectinload(User.emails))
                 .order_by(Project.normalized_name, User.username))
        if project is not None:
            query = query.where(Project.normalized_name == normalize(project))
        with self._db.read() as session:
            if username is not None:
                query = query.where(User.id == user_named(session, username).id)
            return [_invitation(*row) for row in session.execute(query)]

    def accept(self, project: str, *, by: Principal) -> int:
        """``by`` accepts their invitation to ``project``: the role is theirs, journaled by
        them; the new serial. Raises NotFound (no invitation of theirs), Conflict (expired)."""
        now = self._clock()
        with self._db.write() as session:
            found = project_named(session, project)
            row = self._theirs(session, found, by)
            if row.expires <= now:
                raise Conflict(f"the invitation to project {found.name!r} expired at "
                               f"{iso_utc(row.expires)}: ask an Owner to invite you again",
                               project=found.name)
            user = session.get_one(User, row.user_id)
            serial = add_role(session, found, user, row.role, by=user.username, now=now,
                              invited_by=row.invited_by)
        self._on_commit(journal.Written(serial, {found.normalized_name: frozenset()}))
        return serial

    def decline(self, project: str, *, by: Principal) -> None:
        """``by`` declines their invitation to ``project`` (an expired one too). Raises
        NotFound."""
        with self._db.write() as session:
            found = project_named(session, project)
            self._end(session, found, self._theirs(session, found, by),
                      EventKind.ROLE_INVITATION_DECLINED, by)

    def revoke(self, project: str, username: str, *, by: Principal) -> None:
        """An Owner revokes the invitation of ``username`` to ``project``. Raises NotFound,
        Forbidden."""
        with self._db.write() as session:
            found, user = project_named(session, project), user_named(session, username)
            require_owner(session, found, by, "revoke invitations")
            row = _open(session, found, user.id)
            if row is None:
                raise NotFound(f"{user.username!r} has no invitation to project "
                               f"{found.name!r}", project=found.name)
            self._end(session, found, row, EventKind.ROLE_INVITATION_REVOKED, by)

    def _theirs(self, session: Session, project: Project, by: Principal) -> RoleInvitation:
        row = _open(session, project, by.user_id) if by.user_id is not None else None
        if row is None:
            raise NotFound(f"{by.name!r} has no invitation to project {project.name!r}",
                           project=project.name)
        return row

    def _end(self, session: Session, project: Project, row: RoleInvitation, kind: EventKind,
             by: Principal) -> None:
        user = session.get_one(User, row.user_id)
        session.delete(row)
        History.record(session, kind, user=user, project=project.name, now=self._clock(),
                       details={"role": row.role, "by": by.name})
