"""API tokens in the security history: made, used (once an hour at most), revoked."""

from __future__ import annotations

import datetime as dt

import pytest

from strongroom.accounts import AccountService, User
from strongroom.db.engine import Database
from strongroom.domain.names import normalize
from strongroom.domain.principals import Credentials
from strongroom.errors import Forbidden
from strongroom.history import EventView, History
from strongroom.projects import Project, Role
from strongroom.tokens import TokenService, caveats

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def alice(database: Database) -> User:
    """'alice', Owner of 'Demo_Lib'."""
    user = AccountService(database).create_user("alice", email="alice@example.org",
                                                password="a long enough password")
    with database.write() as session:
        project = Project(name="Demo_Lib", normalized_name=normalize("Demo_Lib"))
        session.add(project)
        session.flush()
        session.add(Role(project_id=project.id, user_id=user.id, role="Owner"))
    return user


def _events(database: Database, user: User) -> list[EventView]:
    """``user``'s events after the account was made, oldest first."""
    return [event for event in reversed(History(database).for_user(user.id, limit=100))
            if event.kind != "account.created"]


def test_making_and_revoking_a_token_are_recorded(database: Database, alice: User) -> None:
    tokens = TokenService(database)
    secret = tokens.create("alice", now=NOW, project="Demo_Lib", description="ci",
                           expires_in=dt.timedelta(days=30), read_only=True)
    [made] = tokens.list_for("alice")

    tokens.revoke(made.id, now=NOW + dt.timedelta(hours=2))

    created, revoked = _events(database, alice)
    assert (created.kind, created.created, created.username, created.project) == (
        "token.created", NOW, "alice", "demo-lib")
    assert created.details == {"token_id": made.id, "description": "ci",
                               "expires": "2026-12-25T12:00:00+00:00", "read_only": True,
                               "made_with_2fa": False}
    assert (revoked.kind, revoked.created, revoked.project, revoked.details) == (
        "token.revoked", NOW + dt.timedelta(hours=2), "demo-lib",
        {"token_id": made.id, "description": "ci"})
    # The secret, and its key, are nowhere in the history.
    assert secret.removeprefix("strongroom-") not in repr([created, revoked])


def test_a_token_is_recorded_as_used_once_per_clock_hour(database: Database,
                                                          alice: User) -> None:
    tokens = TokenService(database)
    secret = tokens.create("alice", now=NOW)
    uses = [NOW + dt.timedelta(minutes=minutes) for minutes in (5, 6, 30, 59, 61, 62, 185)]

    for moment in uses:
        tokens.authenticate(Credentials(secret), project="Demo-Lib", now=moment)

    used = [e for e in _events(database, alice) if e.kind == "token.used"]
    assert [e.created for e in used] == [uses[0], uses[4], uses[6]]  # 12:05, 13:01, 15:05
    [listed] = tokens.list_for("alice")
    assert used[0].details == {"token_id": listed.id, "action": "upload"}
    assert used[0].project == "demo-lib"


def test_a_read_of_the_whole_index_is_recorded_without_a_project(database: Database,
                                                                  alice: User) -> None:
    tokens = TokenService(database)
    secret = tokens.create("alice", now=NOW, read_only=True)
    tokens.authenticate(Credentials(secret), project="", now=NOW, action=caveats.READ)

    [_created, used] = _events(database, alice)
    assert (used.kind, used.project, used.details["action"]) == ("token.used", None, "read")


def test_a_refused_use_is_not_recorded(database: Database, alice: User) -> None:
    tokens = TokenService(database)
    secret = tokens.create("alice", now=NOW, project="Demo_Lib")
    with pytest.raises(Forbidden):
        tokens.authenticate(Credentials(secret), project="other", now=NOW)
    assert [e.kind for e in _events(database, alice)] == ["token.created"]
