"""Registering trusted publishers: an Owner (or the administrator) adds a publisher to a project
or removes it; a user registers a pending publisher for a project that does not exist yet, whose
first token request makes it (minting.py). Each change is in the security history
(``publisher.added``, ``publisher.removed``, ``publisher.pending.added``,
``publisher.pending.removed``) in the transaction that makes it. Rare work: the ORM throughout.

One CI identity is one ``TrustedPublisher`` row, linked to each project it may upload to; it is
deleted with its tokens when its last project lets it go, so a token minted for it stops
working at once (its uploads to a project it no longer has are refused anyway: the upload
checks the link under its write lock).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from strongroom.accounts import Client, Released, User, user_named
from strongroom.db.engine import Database
from strongroom.domain.metadata import MAX_NAME_LENGTH
from strongroom.domain.names import is_valid_project_name, normalize
from strongroom.domain.principals import Principal, PrincipalKind
from strongroom.errors import Conflict, Forbidden, InvalidInput, NotFound
from strongroom.history import EventKind, History
from strongroom.oidc.claims import Registration
from strongroom.oidc.models import (
    PendingPublisher,
    PublisherProject,
    PublisherToken,
    TrustedPublisher,
)
from strongroom.oidc.registrations import identity_columns, registration_of
from strongroom.projects import Project, project_named, require_owner

MAX_PENDING_PER_USER = 20


@dataclass(frozen=True)
class PublisherView:
    """A publisher as its project's Owners see it. Times are UTC."""

    id: int
    registration: Registration
    added: dt.datetime
    added_by: str

    @property
    def name(self) -> str:
        return self.registration.name


@dataclass(frozen=True)
class PendingView:
    """A pending publisher: the project its first use makes, who registered it (its Owner to
    be), and until when it waits."""

    id: int
    registration: Registration
    project: str
    username: str
    created: dt.datetime
    expires: dt.datetime

    @property
    def name(self) -> str:
        return self.registration.name

    def expired(self, now: dt.datetime) -> bool:
        return now >= self.expires


def _who(by: Principal) -> tuple[int | None, str] | None:
    """The history's account for an action ``by`` a user; none for the administrator."""
    return (by.user_id, by.name) if by.kind is PrincipalKind.USER else None


def _where(client: Client | None) -> dict[str, str]:
    return {} if client is None else {"address": client.address,
                                      "user_agent": client.user_agent}


def publisher_details(registration: Registration, publisher_id: int) -> dict[str, Any]:
    """What the history records of a publisher."""
    return {"publisher_id": publisher_id, "publisher": registration.name,
            "issuer": registration.issuer.url}


class PublisherService:
    """Adds, lists and removes trusted publishers and pending ones. A pending publisher waits
    ``pending_lifetime`` for its first use."""

    def __init__(self, db: Database, *, pending_lifetime: dt.timedelta,
                 clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)) -> None:
        self._db = db
        self._pending_lifetime = pending_lifetime
        self._clock = clock

    def add(self, project: str, registration: Registration, *, by: Principal,
            client: Client | None = None) -> PublisherView:
        """Let the publisher ``registration`` upload to ``project``; what was added. Raises
        NotFound (project), Forbidden (``by`` is not an Owner), Conflict (it may already)."""
        now = self._clock()
        with self._db.write() as session:
            found = project_named(session, project)
            require_owner(session, found, by, "add trusted publishers")
            row = find_registered(session, TrustedPublisher, registration)
            if row is None:
                row = TrustedPublisher(**identity_columns(registration), created=now)
                session.add(row)
                session.flush()
            elif session.scalar(select(PublisherProject.id).where(
                    PublisherProject.project_id == found.id,
                    PublisherProject.publisher_id == row.id)) is not None:
                raise Conflict(f"{registration.name} may already publish project "
                               f"{found.name!r}", project=found.name)
            link(session, found, row, added_by=by.name, now=now)
            History.record(session, EventKind.PUBLISHER_ADDED, user=_who(by), project=found.name,
                           now=now, details={**publisher_details(registration, row.id),
                                             "by": by.name}, **_where(client))
            return PublisherView(row.id, registration_of(row), now, by.name)

    def remove(self, project: str, publisher_id: int, *, by: Principal,
               client: Client | None = None) -> PublisherView:
        """Stop the publisher ``publisher_id`` uploading to ``project``; what was removed. Its
        tokens stop working for the project at once; when no project is left to it, it and its
        tokens are deleted. Raises NotFound (project, or no such publisher of it), Forbidden."""
        now = self._clock()
        with self._db.write() as session:
            found = project_named(session, project)
            require_owner(session, found, by, "remove trusted publishers")
            linked = session.execute(
                select(PublisherProject, TrustedPublisher)
                .join(TrustedPublisher, TrustedPublisher.id == PublisherProject.publisher_id)
                .where(PublisherProject.project_id == found.id,
                       PublisherProject.publisher_id == publisher_id)).first()
            if linked is None:
                raise NotFound(f"project {found.name!r} has no trusted publisher "
                               f"{publisher_id}", project=found.name)
            link_row, row = linked
            removed = PublisherView(row.id, registration_of(row), link_row.added,
                                    link_row.added_by)
            session.delete(link_row)
            session.flush()
            others = session.scalar(select(func.count()).select_from(PublisherProject).where(
                PublisherProject.publisher_id == row.id))
            if not others:
                session.execute(delete(PublisherToken).where(
                    PublisherToken.publisher_id == row.id))
                session.delete(row)
            History.record(session, EventKind.PUBLISHER_REMOVED, user=_who(by),
                           project=found.name, now=now,
                           details={**publisher_details(removed.registration, row.id),
                                    "by": by.name}, **_where(client))
        return removed

    def for_project(self, project: str) -> list[PublisherView]:
        """The publishers of ``project``, oldest first. Raises NotFound."""
        with self._db.read() as session:
            found = project_named(session, project)
            rows = session.execute(
                select(TrustedPublisher, PublisherProject.added, PublisherProject.added_by)
                .join(PublisherProject, PublisherProject.publisher_id == TrustedPublisher.id)
                .where(PublisherProject.project_id == found.id)
                .order_by(PublisherProject.added, PublisherProject.id)).all()
        return [PublisherView(row.id, registration_of(row), added, added_by)
                for row, added, added_by in rows]

    def add_pending(self, project: str, registration: Registration, *, owner: str,
                    by: Principal, client: Client | None = None) -> PendingView:
        """Register ``registration`` to make the new project ``project`` at its first use,
        the user ``owner`` its Owner to be (a user registers for themselves; the administrator
        for anyone). Raises InvalidInput (name, or too many pending), NotFound (user), Forbidden,
        Conflict (the project exists, or the publisher is pending already)."""
        if len(project) > MAX_NAME_LENGTH or not is_valid_project_name(project):
            raise InvalidInput(f"project name {project[:80]!r}: use ASCII letters, digits and "
                               f"'._-' inside, at most {MAX_NAME_LENGTH} characters")
        now = self._clock()
        with self._db.write() as session:
            user = user_named(session, owner)
            if by.kind is not PrincipalKind.ADMIN and by.user_id != user.id:
                raise Forbidden(f"{by.name!r} may register pending publishers only for "
                                "themselves", principal=by)
            session.execute(delete(PendingPublisher).where(PendingPublisher.expires <= now))
            existing = session.scalar(select(Project.name).where(
                Project.normalized_name == normalize(project)))
            if existing is not None:
                raise Conflict(f"project {existing!r} exists already: its Owners add trusted "
                               "publishers on its own page", project=existing)
            clash = find_registered(session, PendingPublisher, registration)
            if clash is not None:
                raise Conflict(f"{registration.name} is pending already, for project "
                               f"{clash.project_name!r}", project=clash.project_name)
            waiting = session.scalar(select(func.count()).select_from(PendingPublisher).where(
                PendingPublisher.user_id == user.id))
            if waiting and waiting >= MAX_PENDING_PER_USER:
                raise InvalidInput(f"{user.username!r} has {waiting} pending publishers, the "
                                   "most one may have: remove one first")
            row = PendingPublisher(**identity_columns(registration), created=now,
                                   project_name=project, normalized_name=normalize(project),
                                   user_id=user.id, expires=now + self._pending_lifetime)
            session.add(row)
            session.flush()
            History.record(session, EventKind.PUBLISHER_PENDING_ADDED, user=user,
                           project=project, now=now,
                           details={**publisher_details(registration, row.id), "by": by.name,
                                    "pending": True}, **_where(client))
            return _pending_view(row, user.username)

    def remove_pending(self, pending_id: int, *, by: Principal,
                       client: Client | None = None) -> PendingView:
        """Delete the pending publisher ``pending_id`` (a user's own, or any by the
        administrator); what it was. Raises NotFound (in the same words for another's)."""
        now = self._clock()
        with self._db.write() as session:
            found = session.execute(
                select(PendingPublisher, User).join(User, User.id == PendingPublisher.user_id)
                .where(PendingPublisher.id == pending_id)).first()
            if found is None or (by.kind is not PrincipalKind.ADMIN
                                 and found[0].user_id != by.user_id):
                raise NotFound(f"no pending publisher {pending_id}")
            row, user = found
            removed = _pending_view(row, user.username)
            session.delete(row)
            History.record(session, EventKind.PUBLISHER_PENDING_REMOVED, user=user,
                           project=row.project_name, now=now,
                           details={**publisher_details(removed.registration, row.id),
                                    "by": by.name, "pending": True}, **_where(client))
        return removed

    def pending(self, *, user_id: int | None = None) -> list[PendingView]:
        """The pending publishers (of the user ``user_id`` only, when given), expired ones
        included, oldest first."""
        query = (select(PendingPublisher, User.username)
                 .join(User, User.id == PendingPublisher.user_id)
                 .order_by(PendingPublisher.created, PendingPublisher.id))
        if user_id is not None:
            query = query.where(PendingPublisher.user_id == user_id)
        with self._db.read() as session:
            return [_pending_view(row, username) for row, username in session.execute(query)]


def _pending_view(row: PendingPublisher, username: str) -> PendingView:
    return PendingView(row.id, registration_of(row), row.project_name, username, row.created,
                       row.expires)


_Row = TypeVar("_Row", TrustedPublisher, PendingPublisher)


def find_registered(session: Session, table: type[_Row], registration: Registration
                    ) -> _Row | None:
    """The row of ``table`` with ``registration``'s identity."""
    return session.scalar(select(table).where(
        table.issuer == registration.issuer.url, table.lookup == registration.lookup,
        table.variant == registration.variant))


def link(session: Session, project: Project, publisher: TrustedPublisher, *, added_by: str,
         now: dt.datetime) -> None:
    """Let ``publisher`` upload to ``project``."""
    session.add(PublisherProject(project_id=project.id, publisher_id=publisher.id, added=now,
                                 added_by=added_by[:50]))


def forget_pending_publishers(session: Session, user: User, *, now: dt.datetime,
                              actor: str) -> Released:
    """Delete the pending publishers ``user`` registered, whose account ``actor`` is deleting,
    in the deletion's transaction (an ``AccountDependent`` of strongroom.accounts)."""
    rows = session.scalars(select(PendingPublisher).where(PendingPublisher.user_id == user.id))
    count = 0
    for row in rows:
        History.record(session, EventKind.PUBLISHER_PENDING_REMOVED, user=user,
                       project=row.project_name, now=now,
                       details={"publisher_id": row.id, "publisher": registration_of(row).name,
                                "reason": "account deleted", "by": actor})
        session.delete(row)
        count += 1
    return Released(f"{count} pending publisher(s) deleted" if count else "")
