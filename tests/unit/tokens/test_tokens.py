"""API tokens: each check has a test that tries to get past it."""

from __future__ import annotations

import datetime as dt

import pytest
from pymacaroons import Macaroon
from sqlalchemy import delete, select, update

from strongroom.accounts import AccountService, User
from strongroom.db.engine import Database
from strongroom.domain.names import normalize
from strongroom.errors import Forbidden, InvalidInput, NotAuthenticated, NotFound
from strongroom.projects import Project, Role
from strongroom.tokens import TOKEN_PREFIX, Token, TokenService, caveats
from strongroom.tokens.service import MAX_TOKEN_LENGTH, MAX_TOKEN_PROJECT_LENGTH, _deserialize

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def _project(database: Database, name: str, roles: dict[str, str]) -> None:
    """A project named ``name`` on which each user named in ``roles`` holds that role."""
    with database.write() as session:
        project = Project(name=name, normalized_name=normalize(name))
        session.add(project)
        session.flush()
        for username, role in roles.items():
            user_id = session.scalar(select(User.id).where(User.username == username))
            session.add(Role(project_id=project.id, user_id=user_id, role=role))


@pytest.fixture
def tokens(database: Database) -> TokenService:
    """Tokens for 'alice', Owner of 'Demo_Lib', 'demo' and a project of the longest name, and
    'bob', Maintainer of 'demo'."""
    for username in ("alice", "bob"):
        AccountService(database).create_user(username, email=f"{username}@example.org",
                                             password="a long enough password")
    for name in ("Demo_Lib", "demo", "p" * MAX_TOKEN_PROJECT_LENGTH):
        _project(database, name, {"alice": "Owner"})
    _project(database, "theirs", {"bob": "Owner"})
    _project(database, "nobodys", {})
    return TokenService(database)


def test_account_wide_token_verifies_for_any_project(tokens: TokenService) -> None:
    secret = tokens.create("alice", now=NOW)
    assert secret.startswith(TOKEN_PREFIX)
    identity = tokens.verify(secret, project="anything", now=NOW)
    assert identity.username == "alice"


def test_project_token_is_refused_elsewhere(tokens: TokenService) -> None:
    secret = tokens.create("alice", now=NOW, project="Demo_Lib")
    assert tokens.verify(secret, project="demo-lib", now=NOW).username == "alice"
    with pytest.raises(Forbidden, match="isn't allowed to upload to project 'other'"):
        tokens.verify(secret, project="other", now=NOW)


def test_expired_token_is_refused(tokens: TokenService) -> None:
    secret = tokens.create("alice", now=NOW, expires_in=dt.timedelta(hours=1))
    tokens.verify(secret, project="p", now=NOW + dt.timedelta(minutes=59))
    with pytest.raises(NotAuthenticated, match="expired"):
        tokens.verify(secret, project="p", now=NOW + dt.timedelta(hours=1))


def test_stored_limits_apply_to_tokens_already_issued(tokens: TokenService,
                                                      database: Database) -> None:
    secret = tokens.create("alice", now=NOW)
    with database.write() as session:
        session.execute(update(Token).values(project="only-this"))
    with pytest.raises(Forbidden):
        tokens.verify(secret, project="p", now=NOW)


def test_holder_can_narrow_a_token_but_not_widen_it(tokens: TokenService) -> None:
    secret = tokens.create("alice", now=NOW)
    macaroon = Macaroon.deserialize(secret.removeprefix(TOKEN_PREFIX))
    macaroon.add_first_party_caveat(caveats.projects(["narrow"]))
    narrowed = TOKEN_PREFIX + macaroon.serialize()
    assert tokens.verify(narrowed, project="narrow", now=NOW).username == "alice"
    with pytest.raises(Forbidden):
        tokens.verify(narrowed, project="wide", now=NOW)


def test_forged_signature_is_refused(tokens: TokenService) -> None:
    secret = tokens.create("alice", now=NOW, project="demo")
    original = Macaroon.deserialize(secret.removeprefix(TOKEN_PREFIX))
    forged = Macaroon(location=original.location, identifier=original.identifier,
                      key="not the key")
    with pytest.raises(NotAuthenticated, match="signature"):
        tokens.verify(TOKEN_PREFIX + forged.serialize(), project="demo", now=NOW)


def test_a_token_used_before_is_checked_afresh_at_each_use(tokens: TokenService,
                                                           database: Database) -> None:
    secret = tokens.create("alice", now=NOW)
    tokens.verify(secret, project="p", now=NOW)  # parsed now, and remembered parsed
    with database.write() as session:
        session.execute(update(Token).values(key="a key the token was not made with"))
    with pytest.raises(NotAuthenticated, match="signature"):
        tokens.verify(secret, project="p", now=NOW)
    with database.write() as session:
        session.execute(delete(Token))
    with pytest.raises(NotAuthenticated, match="unknown or revoked"):
        tokens.verify(secret, project="p", now=NOW)


@pytest.mark.parametrize("secret", ["", "pypi-abc", TOKEN_PREFIX, TOKEN_PREFIX + "!!!",
                                    TOKEN_PREFIX + "MDAxY2xvY2F0aW9uIHN0cm9uZ3Jvb20K"])
def test_garbage_is_refused(tokens: TokenService, secret: str) -> None:
    with pytest.raises(NotAuthenticated):
        tokens.verify(secret, project="p", now=NOW)


def test_unknown_token_id_is_refused(tokens: TokenService) -> None:
    macaroon = Macaroon(location="strongroom", identifier="0" * 32, key="k")
    with pytest.raises(NotAuthenticated, match="unknown"):
        tokens.verify(TOKEN_PREFIX + macaroon.serialize(), project="p", now=NOW)


def test_disabled_account_cannot_use_its_tokens(tokens: TokenService,
                                                database: Database) -> None:
    secret = tokens.create("alice", now=NOW)
    with database.write() as session:
        session.execute(update(User).values(is_active=False))
    with pytest.raises(NotAuthenticated, match="disabled"):
        tokens.verify(secret, project="p", now=NOW)


def test_create_checks_its_input(tokens: TokenService) -> None:
    with pytest.raises(NotFound):
        tokens.create("nobody", now=NOW)
    with pytest.raises(InvalidInput):
        tokens.create("alice", now=NOW, project="-bad-")
    with pytest.raises(InvalidInput):
        tokens.create("alice", now=NOW, expires_in=dt.timedelta(0))


def test_a_project_token_needs_the_project_to_exist(tokens: TokenService) -> None:
    with pytest.raises(NotFound, match="no project named 'not-yet': a token can be limited only"):
        tokens.create("alice", now=NOW, project="not-yet")


@pytest.mark.parametrize("project", ["theirs", "nobodys"])
def test_a_project_token_needs_a_role_that_may_upload(tokens: TokenService, project: str) -> None:
    with pytest.raises(Forbidden, match=f"'alice' may not upload to project '{project}'"):
        tokens.create("alice", now=NOW, project=project)


def test_a_maintainer_may_have_a_project_token_by_any_spelling(tokens: TokenService,
                                                               database: Database) -> None:
    _project(database, "Shared.Lib", {"alice": "Maintainer"})
    secret = tokens.create("alice", now=NOW, project="shared_lib")
    assert tokens.verify(secret, project="shared-lib", now=NOW).username == "alice"


@pytest.mark.parametrize("caveat", ["not json", "[]", "{}", '{"exp": 1}', '{"what": 1}',
                                    '{"projects": ["p"], "user": 1}'])
def test_malformed_caveats_never_hold(caveat: str) -> None:
    context = caveats.RequestContext(now=NOW, project="p", user_id=1)
    assert caveats.satisfied(caveat, context) is False


def test_the_longest_token_issued_fits_the_bound(tokens: TokenService) -> None:
    longest = "p" * MAX_TOKEN_PROJECT_LENGTH
    secret = tokens.create("alice", now=NOW, project=longest, expires_in=dt.timedelta(days=3650),
                           description="d" * 200)
    assert len(secret) <= MAX_TOKEN_LENGTH // 4  # room for caveats a holder adds
    assert tokens.verify(secret, project=longest, now=NOW).username == "alice"
    with pytest.raises(InvalidInput, match=f"at most {MAX_TOKEN_PROJECT_LENGTH} characters"):
        tokens.create("alice", now=NOW, project=longest + "p")
    with pytest.raises(InvalidInput, match="description: at most 200 characters"):
        tokens.create("alice", now=NOW, description="d" * 201)


def test_a_huge_token_is_refused_before_it_is_parsed(tokens: TokenService) -> None:
    secret = tokens.create("alice", now=NOW)
    macaroon = Macaroon.deserialize(secret.removeprefix(TOKEN_PREFIX))
    while len(TOKEN_PREFIX + macaroon.serialize()) <= MAX_TOKEN_LENGTH:
        macaroon.add_first_party_caveat(caveats.user(1))  # narrowing: valid, only too long
    huge = TOKEN_PREFIX + macaroon.serialize()
    parsed_before = _deserialize.cache_info().misses
    with pytest.raises(NotAuthenticated, match=f"longer than {MAX_TOKEN_LENGTH} characters"):
        tokens.verify(huge, project="demo", now=NOW)
    assert _deserialize.cache_info().misses == parsed_before
