"""An index with four users and the project ``demo`` owned by alice, with the role services
on a clock a test moves, and readers of the journal and the security history."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from strongroom.accounts import AccountService
from strongroom.config import Limits
from strongroom.db import journal
from strongroom.db.engine import Database
from strongroom.db.models import JournalEntry
from strongroom.domain.principals import Principal, PrincipalKind
from strongroom.history import SecurityEvent
from strongroom.projects import InvitationService, ProjectService, RoleService, TeamService

START = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)
ADMIN = Principal(PrincipalKind.ADMIN, "admin")
PEOPLE = ("alice", "bob", "carol", "dave")


@dataclass
class Index:
    db: Database
    people: dict[str, Principal]
    written: list[journal.Written] = field(default_factory=list)
    now: dt.datetime = START

    def clock(self) -> dt.datetime:
        return self.now

    @property
    def roles(self) -> RoleService:
        return RoleService(self.db, on_commit=self.written.append, clock=self.clock)

    @property
    def invitations(self) -> InvitationService:
        return InvitationService(self.db, on_commit=self.written.append, clock=self.clock)

    @property
    def teams(self) -> TeamService:
        return TeamService(self.db, on_commit=self.written.append, clock=self.clock)

    def holders(self, project: str = "demo") -> set[tuple[str, str, bool]]:
        return {(h.name, h.role, h.team) for h in self.roles.roles(project)}

    def journal(self, after: int = 0) -> list[tuple[str, str, str | None]]:
        """(project, action, submitted_by) of each entry past serial ``after``."""
        with self.db.read() as session:
            return [tuple(row) for row in session.execute(  # type: ignore[misc]
                select(JournalEntry.project, JournalEntry.action, JournalEntry.submitted_by)
                .where(JournalEntry.id > after).order_by(JournalEntry.id))]

    def serial(self) -> int:
        with self.db.read() as session:
            return journal.last_serial(session)

    def events(self) -> list[tuple[str, str | None, str | None, dict[str, Any]]]:
        """(kind, username, project, details) of each security event, oldest first, but for
        the making of the fixture's accounts."""
        with self.db.read() as session:
            return [(kind, user, project, json.loads(details)) for kind, user, project, details
                    in session.execute(select(SecurityEvent.kind, SecurityEvent.username,
                                              SecurityEvent.project, SecurityEvent.details)
                                       .where(SecurityEvent.kind != "account.created")
                                       .order_by(SecurityEvent.id))]


@pytest.fixture
def index(database: Database) -> Index:
    accounts = AccountService(database)
    people = {}
    for name in PEOPLE:
        user = accounts.create_user(name, email=f"{name}@example.org",
                                    password="a long enough password")
        people[name] = Principal(PrincipalKind.USER, name, user_id=user.id)
    ProjectService(database, Limits(), on_commit=lambda _w: None,
                   clock=lambda: START).create("Demo", owner="alice", actor="admin")
    return Index(database, people)
