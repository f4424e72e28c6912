"""Registering publishers, minting upload tokens for a real issuer's tokens (tests/oidc.py) and
authenticating with them, on each database: who may register, what a token may do, and every
way it is refused (replayed, expired, another project, removed publisher, spent, reading)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from strongroom.accounts import AccountService
from strongroom.config import Limits
from strongroom.db import journal
from strongroom.db.engine import Database
from strongroom.domain.principals import READ, Credentials, Principal, PrincipalKind
from strongroom.errors import Conflict, Forbidden, NotAuthenticated
from strongroom.history import SecurityEvent
from strongroom.oidc import (
    Code,
    DatabaseReplayGuard,
    HttpKeyFetcher,
    Issuers,
    Provider,
    PublisherInput,
    PublisherService,
    PublisherTokens,
    RedisReplayGuard,
    TokenRequestFailed,
    TokenVerifier,
    TrustedPublishing,
    parse_registration,
)
from strongroom.oidc import Issuer as Trusted
from strongroom.projects import ProjectService, RoleService
from strongroom.tokens import TokenService
from tests.oidc import Issuer, running_issuer
from tests.services import redis_client

AUDIENCE = "index.example.org"
ADMIN = Principal(PrincipalKind.ADMIN, "admin")


@pytest.fixture(scope="module")
def issuer() -> Iterator[Issuer]:
    with running_issuer() as running:
        yield running


@dataclass
class World:
    db: Database
    issuer: Issuer
    people: dict[str, Principal]
    now: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    written: list[journal.Written] = field(default_factory=list)

    def clock(self) -> dt.datetime:
        return self.now

    @property
    def issuers(self) -> Issuers:
        return Issuers([Trusted(self.issuer.url, Provider.GITHUB, "GitHub")])

    @property
    def publishers(self) -> PublisherService:
        return PublisherService(self.db, pending_lifetime=dt.timedelta(days=30),
                                clock=self.clock)

    def publishing(self, *, enabled: bool = True) -> TrustedPublishing:
        verifier = TokenVerifier(self.issuers, HttpKeyFetcher(timeout=2), audience=AUDIENCE)
        return TrustedPublishing(self.db, verifier, DatabaseReplayGuard(), enabled=enabled,
                                 on_commit=self.written.append, clock=self.clock)

    @property
    def authenticator(self) -> PublisherTokens:
        return PublisherTokens(self.db, TokenService(self.db))

    def github(self, repository: str = "acme/tool", **typed: str) -> Any:
        return parse_registration(self.issuers, PublisherInput(
            "github", repository=repository, workflow="release.yml", **typed))

    def oidc_token(self, repository: str = "acme/tool", **claims: Any) -> str:
        return self.issuer.sign(self.issuer.github(repository=repository,
                                                   workflow="release.yml", audience=AUDIENCE,
                                                   **claims))

    def principal(self, token: str, project: str, *, later: dt.timedelta = dt.timedelta(0),
                  action: str = "upload") -> Principal:
        return self.authenticator.authenticate(Credentials(token), project=project,
                                               now=self.now + later, action=action)

    def events(self, kind: str) -> list[tuple[str | None, dict[str, Any]]]:
        with self.db.read() as session:
            return [(project, json.loads(details)) for project, details in session.execute(
                select(SecurityEvent.project, SecurityEvent.details)
                .where(SecurityEvent.kind == kind).order_by(SecurityEvent.id))]


@pytest.fixture
def world(database: Database, issuer: Issuer) -> World:
    accounts = AccountService(database)
    people = {}
    for name in ("alice", "bob"):
        user = accounts.create_user(name, email=f"{name}@example.org",
                                    password="a long enough password")
        people[name] = Principal(PrincipalKind.USER, name, user_id=user.id)
    projects = ProjectService(database, Limits(), on_commit=lambda _w: None)
    projects.create("Tool", owner="alice", actor="admin")
    projects.create("other", owner="alice", actor="admin")
    return World(database, issuer, people)


def refused(call: Any, code: Code) -> TokenRequestFailed:
    with pytest.raises(TokenRequestFailed) as caught:
        call()
    assert caught.value.code is code
    return caught.value


def test_only_owners_add_and_remove_publishers(world: World) -> None:
    with pytest.raises(Forbidden, match="only its Owners"):
        world.publishers.add("tool", world.github(), by=world.people["bob"])
    added = world.publishers.add("tool", world.github(), by=world.people["alice"])
    assert added.name == "GitHub publisher acme/tool (release.yml)"
    with pytest.raises(Conflict, match="may already publish"):
        world.publishers.add("Tool", world.github("ACME/tool"), by=ADMIN)
    also = world.publishers.add("other", world.github(), by=ADMIN)
    assert also.id == added.id  # one identity, two projects
    assert [p.id for p in world.publishers.for_project("tool")] == [added.id]
    with pytest.raises(Forbidden):
        world.publishers.remove("tool", added.id, by=world.people["bob"])
    world.publishers.remove("tool", added.id, by=world.people["alice"])
    assert world.publishers.for_project("tool") == []
    assert [p for p, _ in world.events("publisher.added")] == ["tool", "other"]
    assert world.events("publisher.removed")[0][1]["by"] == "alice"


def test_a_minted_token_uploads_to_its_projects_only(world: World) -> None:
    world.publishers.add("tool", world.github(), by=world.people["alice"])
    minted = world.publishing().mint(world.oidc_token())
    assert minted.projects == ("tool",)
    assert minted.expires == world.now + dt.timedelta(minutes=15)
    principal = world.principal(minted.token, "tool")
    assert principal.kind is PrincipalKind.PUBLISHER
    assert principal.user_id is None
    assert principal.publisher is not None
    assert (principal.publisher.kind, principal.publisher.repository,
            principal.publisher.workflow) == ("GitHub", "acme/tool", "release.yml")
    world.principal(minted.token, "tool")
    with pytest.raises(Forbidden, match="not valid for project 'other'"):
        world.principal(minted.token, "other")
    with pytest.raises(Forbidden):
        world.principal(minted.token, "tool", action=READ)
    [(project, minting)] = world.events("publisher.minted")
    assert project == "tool"
    assert minting["run"]["run_id"] == "4242"
    assert minting["run"]["url"].endswith("/acme/tool/actions/runs/4242")
    assert len(world.events("publisher.used")) == 1  # its first use for the project only
    # The owner's id was pinned at first use: a resurrected owner name is refused.
    refusal = refused(lambda: world.publishing().mint(world.oidc_token(owner_id="666")),
                      Code.INVALID_PUBLISHER)
    assert "repository_owner_id is '666'" in refusal.message


def test_an_oidc_token_is_exchanged_once(world: World) -> None:
    world.publishers.add("tool", world.github(), by=world.people["alice"])
    token = world.oidc_token()
    world.publishing().mint(token)
    refusal = refused(lambda: world.publishing().mint(token), Code.INVALID_REUSE_TOKEN)
    assert refusal.message == "invalid token: already used"


def test_minted_tokens_expire_after_15_minutes(world: World) -> None:
    world.publishers.add("tool", world.github(), by=world.people["alice"])
    minted = world.publishing().mint(world.oidc_token())
    world.principal(minted.token, "tool", later=dt.timedelta(minutes=14, seconds=59))
    with pytest.raises(NotAuthenticated, match="expired"):
        world.principal(minted.token, "tool", later=dt.timedelta(minutes=15))


def test_a_removed_publishers_tokens_are_refused(world: World) -> None:
    added = world.publishers.add("tool", world.github(), by=world.people["alice"])
    minted = world.publishing().mint(world.oidc_token())
    world.publishers.remove("tool", added.id, by=world.people["alice"])
    with pytest.raises(NotAuthenticated, match="trusted publisher was removed"):
        world.principal(minted.token, "tool")
    refused(lambda: world.publishing().mint(world.oidc_token()), Code.INVALID_PUBLISHER)


def test_unregistered_identities_and_a_disabled_index_are_refused(world: World) -> None:
    world.publishers.add("tool", world.github(), by=world.people["alice"])
    refusal = refused(lambda: world.publishing().mint(world.oidc_token("acme/other")),
                      Code.INVALID_PUBLISHER)
    assert refusal.message.startswith("valid token, but no corresponding publisher")
    refused(lambda: world.publishing().mint(world.oidc_token(event_name="pull_request_target")),
            Code.INVALID_PUBLISHER)
    refused(lambda: world.publishing(enabled=False).mint(world.oidc_token()), Code.NOT_ENABLED)


def test_a_pending_publisher_makes_its_project(world: World) -> None:
    bob = world.people["bob"]
    with pytest.raises(Conflict, match="exists already"):
        world.publishers.add_pending("TOOL", world.github("bob/x"), owner="bob", by=bob)
    with pytest.raises(Forbidden, match="only for themselves"):
        world.publishers.add_pending("fresh", world.github("bob/x"), owner="alice", by=bob)
    pending = world.publishers.add_pending("Fresh.Project", world.github("bob/fresh"),
                                           owner="bob", by=bob)
    rival = world.publishers.add_pending("fresh-project", world.github("alice/fresh"),
                                         owner="alice", by=ADMIN)
    with pytest.raises(Conflict, match="pending already"):
        world.publishers.add_pending("again", world.github("BOB/fresh"), owner="bob", by=bob)
    assert [p.id for p in world.publishers.pending(user_id=bob.user_id)] == [pending.id]
    minted = world.publishing().mint(world.oidc_token("bob/fresh"))
    assert minted.projects == ("fresh-project",)
    assert world.written[-1].changes == {"fresh-project": frozenset()}
    roles = RoleService(world.db, on_commit=lambda _w: None).roles("fresh-project")
    assert [(r.name, r.role) for r in roles] == [("bob", "Owner")]
    assert [p.name for p in world.publishers.for_project("fresh-project")] == [pending.name]
    assert world.publishers.pending() == []  # both used up: the name is taken
    assert rival.project == "fresh-project"
    world.principal(minted.token, "fresh-project")
    # Later runs mint as an ordinary publisher's.
    assert world.publishing().mint(world.oidc_token("bob/fresh")).projects == ("fresh-project",)


def test_a_pending_publisher_whose_project_appeared_is_dropped(world: World) -> None:
    bob = world.people["bob"]
    world.publishers.add_pending("late", world.github("bob/late"), owner="bob", by=bob)
    ProjectService(world.db, Limits(), on_commit=lambda _w: None).create(
        "late", owner="alice", actor="admin")
    refusal = refused(lambda: world.publishing().mint(world.oidc_token("bob/late")),
                      Code.INVALID_PENDING_PUBLISHER)
    assert refusal.message == "valid token, but project already exists"
    assert world.publishers.pending() == []


def test_single_use_tokens_upload_once(world: World) -> None:
    world.publishers.add("tool", world.github(), by=world.people["alice"])
    minted = world.publishing().mint(world.oidc_token(), single_use=True)
    world.principal(minted.token, "tool")
    with pytest.raises(NotAuthenticated, match="single-use"):
        world.principal(minted.token, "tool")


def test_api_tokens_still_pass_through(world: World) -> None:
    secret = TokenService(world.db).create("alice", now=world.now)
    assert world.principal(secret, "tool").kind is PrincipalKind.USER
    with pytest.raises(NotAuthenticated):
        world.principal("strongroom-garbage", "tool")


@pytest.mark.parametrize("backend", ["database", "redis"])
def test_replay_guards_remember_until_expiry(database: Database, backend: str,
                                             redis_prefix: str) -> None:
    now = dt.datetime.now(dt.UTC)
    guard = DatabaseReplayGuard() if backend == "database" else RedisReplayGuard(
        redis_client(), redis_prefix)
    with database.write_connection() as connection:
        assert guard.first_use(connection, "k1", expires=now + dt.timedelta(minutes=5), now=now)
        assert not guard.first_use(connection, "k1", expires=now + dt.timedelta(minutes=5),
                                   now=now)
        assert guard.first_use(connection, "k2", expires=now + dt.timedelta(minutes=5), now=now)
    if backend == "database":  # an expired key is pruned, and its token refused by its exp
        later = now + dt.timedelta(minutes=6)
        with database.write_connection() as connection:
            assert guard.first_use(connection, "k1", expires=later, now=later)
