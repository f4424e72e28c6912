"""Listing and revoking API tokens, as ``strongroom admin token`` does."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from strongroom.accounts import AccountService, Client
from strongroom.db.engine import Database
from strongroom.domain.names import normalize
from strongroom.domain.principals import Credentials, Principal, PrincipalKind
from strongroom.errors import NotAuthenticated, NotFound
from strongroom.history import History
from strongroom.projects import Project, Role, TeamService
from strongroom.tokens import TokenService, TokenSummary

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def tokens(database: Database) -> TokenService:
    """Tokens for 'Alice', Owner of 'Demo_Lib', and 'bob'."""
    accounts = AccountService(database)
    alice = accounts.create_user("Alice", email="alice@example.org",
                                 password="a long enough password")
    accounts.create_user("bob", email="bob@example.org", password="a long enough password")
    with database.write() as session:
        project = Project(name="Demo_Lib", normalized_name=normalize("Demo_Lib"))
        session.add(project)
        session.flush()
        session.add(Role(project_id=project.id, user_id=alice.id, role="Owner"))
    return TokenService(database)


def test_list_shows_each_token_of_the_user_without_its_secret(tokens: TokenService) -> None:
    everywhere = tokens.create("alice", now=NOW, description="laptop")
    scoped = tokens.create("alice", now=NOW + dt.timedelta(minutes=1), project="Demo_Lib",
                           expires_in=dt.timedelta(days=30))
    tokens.create("bob", now=NOW)
    tokens.authenticate(Credentials(scoped), project="demo-lib", now=NOW + dt.timedelta(hours=1))

    listed = tokens.list_for("ALICE")

    assert [(t.username, t.description, t.project, t.created, t.expires, t.last_used)
            for t in listed] == [
        ("Alice", "laptop", None, NOW, None, None),
        ("Alice", "", "demo-lib", NOW + dt.timedelta(minutes=1),
         NOW + dt.timedelta(days=30, minutes=1), NOW + dt.timedelta(hours=1)),
    ]
    assert len({t.id for t in listed}) == 2
    shown = " ".join(str(value) for t in listed for value in dataclasses.astuple(t))
    for secret in (everywhere, scoped):
        assert secret not in shown
    assert not any(field.name in ("key", "secret") for field in dataclasses.fields(TokenSummary))


def test_list_of_a_user_without_tokens_is_empty(tokens: TokenService) -> None:
    assert tokens.list_for("bob") == []


def test_list_for_an_unknown_user_is_not_found(tokens: TokenService) -> None:
    with pytest.raises(NotFound, match="no user named 'nobody'"):
        tokens.list_for("nobody")


def test_revoked_token_is_refused_at_its_next_use(tokens: TokenService) -> None:
    secret = tokens.create("alice", now=NOW, description="ci")
    kept = tokens.create("alice", now=NOW + dt.timedelta(seconds=1))
    tokens.authenticate(Credentials(secret), project="demo-lib", now=NOW)
    [listed, other] = tokens.list_for("alice")  # oldest first

    revoked = tokens.revoke(listed.id)

    assert (revoked.id, revoked.username, revoked.description) == (listed.id, "Alice", "ci")
    assert tokens.list_for("alice") == [other]
    with pytest.raises(NotAuthenticated, match="Invalid API token: unknown or revoked"):
        tokens.authenticate(Credentials(secret), project="demo-lib", now=NOW)
    assert tokens.authenticate(Credentials(kept), project="demo-lib", now=NOW).name == "Alice"


def test_revoking_an_unknown_or_already_revoked_token_is_not_found(tokens: TokenService) -> None:
    tokens.create("alice", now=NOW)
    [listed] = tokens.list_for("alice")
    tokens.revoke(listed.id)
    for token_id in (listed.id, "no-such-token"):
        with pytest.raises(NotFound, match=f"no token with id '{token_id}'"):
            tokens.revoke(token_id)


def test_a_user_revokes_only_their_own_token(tokens: TokenService, database: Database) -> None:
    secret = tokens.create("alice", now=NOW)
    [alices] = tokens.list_for("alice")
    bob = AccountService(database).get_user("bob")
    with pytest.raises(NotFound, match=f"no token with id '{alices.id}'"):
        tokens.revoke(alices.id, user_id=bob.id)
    assert tokens.authenticate(Credentials(secret), project="demo-lib", now=NOW).name == "Alice"
    alice = AccountService(database).get_user("alice")
    assert tokens.revoke(alices.id, user_id=alice.id).id == alices.id
    assert tokens.list_for("alice") == []


def test_a_revocation_from_the_web_records_the_visitor(tokens: TokenService,
                                                      database: Database) -> None:
    tokens.create("bob", now=NOW, client=Client("192.0.2.7", "browser/1"))
    [made] = tokens.list_for("bob")
    tokens.revoke(made.id, now=NOW, client=Client("192.0.2.8", "browser/2"))
    bob = AccountService(database).get_user("bob")
    events = History(database).for_user(bob.id, limit=10)
    assert [(e.kind, e.address, e.user_agent) for e in events] == [
        ("token.revoked", "192.0.2.8", "browser/2"), ("token.created", "192.0.2.7", "browser/1"),
        ("account.created", None, None)]  # made by an admin, in the fixture


def test_a_token_may_be_limited_to_the_projects_the_user_uploads_to(
        tokens: TokenService, database: Database) -> None:
    bob = AccountService(database).get_user("bob")
    with database.write() as session:
        for name, role in (("zeta", "Maintainer"), ("Alpha.Kit", "Owner"), ("watched", "Viewer")):
            project = Project(name=name, normalized_name=normalize(name))
            session.add(project)
            session.flush()
            session.add(Role(project_id=project.id, user_id=bob.id, role=role))
    teams = TeamService(database, on_commit=lambda _written: None)
    teams.create("release-crew", actor="admin")
    teams.add_member("release-crew", "bob", actor="admin")
    teams.grant("release-crew", "Demo_Lib", "Maintainer",
                by=Principal(PrincipalKind.ADMIN, "admin"))
    assert tokens.projects_for("BOB") == ["Alpha.Kit", "Demo_Lib", "zeta"]
    assert tokens.projects_for("alice") == ["Demo_Lib"]
    with pytest.raises(NotFound, match="no user named 'nobody'"):
        tokens.projects_for("nobody")
