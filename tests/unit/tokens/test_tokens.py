"""API tokens: each check has a test that tries to get past it."""

from __future__ import annotations

import datetime as dt

import pytest
from pymacaroons import Macaroon
from sqlalchemy import delete, select, update

from strongroom.accounts import AccountService, User
from strongroom.db.engine import Database
from strongroom.domain.names import normalize
from strongroom.domain.principals import Credentials, Principal, PrincipalKind
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
    principal = tokens.authenticate(Credentials(secret), project="anything", now=NOW)
    assert principal.name == "alice"


def test_project_token_is_refused_elsewhere(tokens: TokenService) -> None:
    secret = tokens.create("alice", now=NOW, project="Demo_Lib")
    assert tokens.authenticate(Credentials(secret), project="demo-lib", now=NOW).name == "alice"
    with pytest.raises(Forbidden, match="isn't allowed to upload to project 'other'"):
        tokens.authenticate(Credentials(secret), project="other", now=NOW)


def test_expired_token_is_refused(tokens: TokenService) -> None:
    secret = tokens.create("alice", now=NOW, expires_in=dt.timedelta(hours=1))
    tokens.authenticate(Credentials(secret), project="p", now=NOW + dt.timedelta(minutes=59))
    with pytest.raises(NotAuthenticated, match="expired"):
        tokens.authenticate(Credentials(secret), project="p", now=NOW + dt.timedelta(hours=1))


def test_stored_limits_apply_to_tokens_already_issued(tokens: TokenService,
                                                      database: Database) -> None:
    secret = tokens.create("alice", now=NOW)
    with database.write() as session:
        session.execute(update(Token).values(project="only-this"))
    with pytest.raises(Forbidden):
        tokens.authenticate(Credentials(secret), project="p", now=NOW)


def test_holder_can_narrow_a_token_but_not_widen_it(tokens: TokenService) -> None:
    secret = tokens.create("alice", now=NOW)
    macaroon = Macaroon.deserialize(secret.removeprefix(TOKEN_PREFIX))
    macaroon.add_first_party_caveat(caveats.projects(["narrow"]))
    narrowed = TOKEN_PREFIX + macaroon.serialize()
    assert tokens.authenticate(Credentials(narrowed), project="narrow", now=NOW).name == "alice"
    with pytest.raises(Forbidden):
        tokens.authenticate(Credentials(narrowed), project="wide", now=NOW)


def test_forged_signature_is_refused(tokens: TokenService) -> None:
    secret = tokens.create("alice", now=NOW, project="demo")
    original = Macaroon.deserialize(secret.removeprefix(TOKEN_PREFIX))
    forged = Macaroon(location=original.location, identifier=original.identifier,
                      key="not the key")
    with pytest.raises(NotAuthenticated, match="signature"):
        tokens.authenticate(Credentials(TOKEN_PREFIX + forged.serialize()), project="demo",
                            now=NOW)


def test_a_token_used_before_is_checked_afresh_at_each_use(tokens: TokenService,
                                                           database: Database) -> None:
    secret = tokens.create("alice", now=NOW)
    tokens.authenticate(Credentials(secret), project="p", now=NOW)  # parsed, and remembered
    with database.write() as session:
        session.execute(update(Token).values(key="a key the token was not made with"))
    with pytest.raises(NotAuthenticated, match="signature"):
        tokens.authenticate(Credentials(secret), project="p", now=NOW)
    with database.write() as session:
        session.execute(delete(Token))
    with pytest.raises(NotAuthenticated, match="unknown or revoked"):
        tokens.authenticate(Credentials(secret), project="p", now=NOW)


@pytest.mark.parametrize("secret", ["", "pypi-abc", TOKEN_PREFIX, TOKEN_PREFIX + "!!!",
                                    TOKEN_PREFIX + "MDAxY2xvY2F0aW9uIHN0cm9uZ3Jvb20K"])
def test_garbage_is_refused(tokens: TokenService, secret: str) -> None:
    with pytest.raises(NotAuthenticated):
        tokens.authenticate(Credentials(secret), project="p", now=NOW)


def test_unknown_token_id_is_refused(tokens: TokenService) -> None:
    macaroon = Macaroon(location="strongroom", identifier="0" * 32, key="k")
    with pytest.raises(NotAuthenticated, match="unknown"):
        tokens.authenticate(Credentials(TOKEN_PREFIX + macaroon.serialize()), project="p",
                            now=NOW)


def test_disabled_account_cannot_use_its_tokens(tokens: TokenService,
                                                database: Database) -> None:
    secret = tokens.create("alice", now=NOW)
    with database.write() as session:
        session.execute(update(User).values(is_active=False))
    with pytest.raises(NotAuthenticated, match="disabled"):
        tokens.authenticate(Credentials(secret), project="p", now=NOW)


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
    assert tokens.authenticate(Credentials(secret), project="shared-lib", now=NOW).name == "alice"


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
    assert tokens.authenticate(Credentials(secret), project=longest, now=NOW).name == "alice"
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
        tokens.authenticate(Credentials(huge), project="demo", now=NOW)
    assert _deserialize.cache_info().misses == parsed_before


def _token_id(secret: str) -> str:
    return str(Macaroon.deserialize(secret.removeprefix(TOKEN_PREFIX)).identifier)


def test_a_token_speaks_for_its_user_as_a_principal(tokens: TokenService,
                                                    database: Database) -> None:
    secret = tokens.create("alice", now=NOW)
    with database.read() as session:
        alice_id = session.scalar(select(User.id).where(User.username == "alice"))
    principal = tokens.authenticate(Credentials(secret), project="demo", now=NOW)
    assert principal == Principal(PrincipalKind.USER, name="alice", user_id=alice_id,
                                  token_id=_token_id(secret))
    assert str(principal) == "user 'alice'"


def test_absent_credentials_are_refused(tokens: TokenService) -> None:
    with pytest.raises(NotAuthenticated, match="not a Strongroom token") as refused:
        tokens.authenticate(Credentials(), project="demo", now=NOW)
    assert (refused.value.project, refused.value.principal) == ("demo", None)


def test_a_project_token_presented_for_another_project_is_refused_naming_both(
        tokens: TokenService) -> None:
    secret = tokens.create("alice", now=NOW, project="demo")
    for elsewhere in ("theirs", "demo-lib", "nobodys"):
        with pytest.raises(Forbidden) as refused:
            tokens.authenticate(Credentials(secret), project=elsewhere, now=NOW)
        assert refused.value.message == (
            f"The given token isn't allowed to upload to project '{elsewhere}'")
        assert refused.value.project == elsewhere
        assert refused.value.principal == Principal(
            PrincipalKind.USER, name="alice", user_id=1, token_id=_token_id(secret))
        assert refused.value.unnamed() == ["principal"]


def test_a_narrowed_token_widened_by_its_row_is_still_refused(tokens: TokenService,
                                                               database: Database) -> None:
    secret = tokens.create("alice", now=NOW, project="demo")
    with database.write() as session:  # the row says account-wide: the caveat still binds
        session.execute(update(Token).values(project=None))
    with pytest.raises(Forbidden) as refused:
        tokens.authenticate(Credentials(secret), project="theirs", now=NOW)
    assert refused.value.principal is not None
    assert refused.value.principal.name == "alice"


def test_an_expired_token_names_its_account_a_forged_one_nobody(tokens: TokenService) -> None:
    secret = tokens.create("alice", now=NOW, expires_in=dt.timedelta(hours=1))
    later = NOW + dt.timedelta(hours=2)
    with pytest.raises(NotAuthenticated, match="expired") as expired:
        tokens.authenticate(Credentials(secret), project="demo", now=later)
    assert expired.value.project == "demo"
    assert expired.value.principal == Principal(
        PrincipalKind.USER, name="alice", user_id=1, token_id=_token_id(secret))
    # A forgery of that expired token's id learns nothing about it, not even that it expired.
    forged = Macaroon(location="strongroom", identifier=_token_id(secret), key="a guess")
    with pytest.raises(NotAuthenticated, match="signature does not verify") as refused:
        tokens.authenticate(Credentials(TOKEN_PREFIX + forged.serialize()), project="demo",
                            now=later)
    assert (refused.value.project, refused.value.principal) == ("demo", None)


def test_a_forged_widening_of_a_project_token_is_refused_naming_nobody(
        tokens: TokenService) -> None:
    secret = tokens.create("alice", now=NOW, project="demo")
    original = Macaroon.deserialize(secret.removeprefix(TOKEN_PREFIX))
    # The same id and the user caveat, without the project caveat: only the key could sign it.
    widened = Macaroon(location=original.location, identifier=original.identifier,
                       key="not the key")
    widened.add_first_party_caveat(caveats.user(1))
    with pytest.raises(NotAuthenticated, match="signature") as refused:
        tokens.authenticate(Credentials(TOKEN_PREFIX + widened.serialize()), project="theirs",
                            now=NOW)
    assert refused.value.principal is None
    assert refused.value.project == "theirs"


def test_a_read_only_token_reads_and_never_uploads(tokens: TokenService,
                                                  database: Database) -> None:
    secret = tokens.create("alice", now=NOW, read_only=True)
    read = tokens.authenticate(Credentials(secret), project="demo", now=NOW, action=caveats.READ)
    assert read.name == "alice"
    assert tokens.authenticate(Credentials(secret), project="", now=NOW,
                               action=caveats.READ).name == "alice"  # the list of projects
    with pytest.raises(Forbidden, match="read-only") as refused:
        tokens.authenticate(Credentials(secret), project="demo", now=NOW)
    assert refused.value.principal == read
    with database.write() as session:  # the row widened: the caveat in the token still holds
        session.execute(update(Token).values(read_only=False))
    with pytest.raises(Forbidden):
        tokens.authenticate(Credentials(secret), project="demo", now=NOW)


def test_a_row_made_read_only_stops_uploads_of_a_token_already_issued(
        tokens: TokenService, database: Database) -> None:
    secret = tokens.create("alice", now=NOW)
    with database.write() as session:
        session.execute(update(Token).values(read_only=True))
    with pytest.raises(Forbidden, match="read-only"):
        tokens.authenticate(Credentials(secret), project="demo", now=NOW)
    assert tokens.authenticate(Credentials(secret), project="demo", now=NOW,
                               action=caveats.READ).name == "alice"


def test_a_holder_can_make_a_token_read_only(tokens: TokenService) -> None:
    secret = tokens.create("alice", now=NOW)
    macaroon = Macaroon.deserialize(secret.removeprefix(TOKEN_PREFIX))
    macaroon.add_first_party_caveat(caveats.actions([caveats.READ]))
    narrowed = Credentials(TOKEN_PREFIX + macaroon.serialize())
    assert tokens.authenticate(narrowed, project="demo", now=NOW, action=caveats.READ)
    with pytest.raises(Forbidden):
        tokens.authenticate(narrowed, project="demo", now=NOW)


def test_a_project_token_reads_only_its_project(tokens: TokenService) -> None:
    secret = Credentials(tokens.create("alice", now=NOW, project="demo", read_only=True))
    assert tokens.authenticate(secret, project="demo", now=NOW, action=caveats.READ)
    with pytest.raises(Forbidden, match="isn't allowed to read project 'demo-lib'"):
        tokens.authenticate(secret, project="demo-lib", now=NOW, action=caveats.READ)
    with pytest.raises(Forbidden, match="the list of all projects"):
        tokens.authenticate(secret, project="", now=NOW, action=caveats.READ)
