"""The two-factor policy as tokens meet it: which tokens need a second factor to be made, the
administrator's recorded override, ``made_with_2fa``, and the refusal at use (with what to do)
of a token made without one while its user still has none, at no extra query."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from strongroom.accounts import AccountService, User
from strongroom.accounts.models import SecurityKey
from strongroom.config import TwoFactorRequired
from strongroom.db.engine import Database
from strongroom.domain.principals import READ, Credentials
from strongroom.errors import Forbidden
from strongroom.history import History
from strongroom.tokens import SecondFactorRequired, TokenPolicy, TokenService

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
BASE = "https://pypi.example.org"
NOBODY, UPLOADERS, EVERYONE = (TwoFactorRequired.NOBODY, TwoFactorRequired.UPLOADERS,
                               TwoFactorRequired.EVERYONE)
WHAT_TO_DO = (f"set up two-factor authentication at {BASE}/account/totp, then create a new "
              f"token at {BASE}/account/tokens")


@pytest.fixture
def alice(database: Database) -> User:
    return AccountService(database).create_user("alice", email="alice@example.org",
                                                password="a long enough password")


def _service(database: Database, required: TwoFactorRequired) -> TokenService:
    return TokenService(database, policy=TokenPolicy(required, BASE))


def _set_totp(database: Database, user: User, secret: str | None) -> None:
    with database.write() as session:
        session.execute(update(User).where(User.id == user.id).values(totp_secret=secret))


def _add_key(database: Database, user: User) -> None:
    with database.write() as session:
        session.add(SecurityKey(user_id=user.id, name="key", credential_id=b"id",
                                public_key=b"key"))


@pytest.mark.parametrize(("required", "read_only", "refused"), [
    (NOBODY, False, False), (NOBODY, True, False),
    (UPLOADERS, False, True), (UPLOADERS, True, False),
    (EVERYONE, False, True), (EVERYONE, True, True),
])
def test_which_tokens_need_a_second_factor_to_be_made(database: Database, alice: User,
                                                      required: TwoFactorRequired,
                                                      read_only: bool, refused: bool) -> None:
    tokens = _service(database, required)
    if refused:
        with pytest.raises(SecondFactorRequired) as caught:
            tokens.create("alice", now=NOW, read_only=read_only)
        assert caught.value.message == (
            "this index requires two-factor authentication to create "
            f"{'a read-only' if read_only else 'an upload'} token (two_factor_required = "
            f"{required}), and user 'alice' has none: set up two-factor authentication at "
            f"{BASE}/account/totp first")
        assert tokens.list_for("alice") == []
    else:
        tokens.create("alice", now=NOW, read_only=read_only)
        assert [t.made_with_2fa for t in tokens.list_for("alice")] == [False]
    _set_totp(database, alice, "A" * 32)
    tokens.create("alice", now=NOW + dt.timedelta(minutes=1), read_only=read_only)
    assert tokens.list_for("alice")[-1].made_with_2fa  # listed oldest first


def test_a_security_key_is_a_second_factor_too(database: Database, alice: User) -> None:
    tokens = _service(database, EVERYONE)
    _add_key(database, alice)
    secret = tokens.create("alice", now=NOW)
    assert [t.made_with_2fa for t in tokens.list_for("alice")] == [True]
    assert tokens.authenticate(Credentials(secret), project="p", now=NOW).name == "alice"


def test_the_administrators_override_is_recorded(database: Database, alice: User) -> None:
    tokens = _service(database, UPLOADERS)
    tokens.create("alice", now=NOW, without_2fa=True, description="ci")
    [made] = tokens.list_for("alice")
    assert not made.made_with_2fa
    [created, made] = History(database).for_user(alice.id, limit=10)
    assert made.kind == "account.created"
    assert created.details["without_2fa"] == "override of two_factor_required = uploaders"
    assert created.details["made_with_2fa"] is False
    # Not needed, not recorded: the user has a factor, or the policy does not cover the token.
    _set_totp(database, alice, "A" * 32)
    tokens.create("alice", now=NOW, without_2fa=True)
    _set_totp(database, alice, None)
    tokens.create("alice", now=NOW, without_2fa=True, read_only=True)
    events = History(database).for_user(alice.id, limit=10)
    assert ["without_2fa" in e.details for e in events] == [False, False, True, False]


def test_a_token_made_without_a_factor_is_refused_while_its_user_has_none(
        database: Database, alice: User) -> None:
    secret = _service(database, NOBODY).create("alice", now=NOW)
    assert _service(database, NOBODY).authenticate(Credentials(secret), project="p", now=NOW)
    tokens = _service(database, UPLOADERS)
    with pytest.raises(SecondFactorRequired) as caught:
        tokens.authenticate(Credentials(secret), project="demo", now=NOW)
    assert caught.value.message == (
        "The given token was made without two-factor authentication, which this index "
        f"requires (two_factor_required = uploaders), and user 'alice' still has none: "
        f"{WHAT_TO_DO}")
    assert (caught.value.project, caught.value.principal and caught.value.principal.name) == (
        "demo", "alice")
    # Once the user has a second factor, their older token is good again.
    _set_totp(database, alice, "A" * 32)
    assert tokens.authenticate(Credentials(secret), project="demo", now=NOW).name == "alice"


def test_a_token_made_with_a_factor_stays_good_without_it(database: Database,
                                                         alice: User) -> None:
    _set_totp(database, alice, "A" * 32)
    tokens = _service(database, EVERYONE)
    secret = tokens.create("alice", now=NOW)
    _set_totp(database, alice, None)
    assert tokens.authenticate(Credentials(secret), project="p", now=NOW).name == "alice"


def test_reads_are_refused_only_when_the_policy_covers_read_only_tokens(
        database: Database, alice: User) -> None:
    secret = _service(database, NOBODY).create("alice", now=NOW, read_only=True)
    assert _service(database, UPLOADERS).authenticate(Credentials(secret), project="p",
                                                      now=NOW, action=READ)
    with pytest.raises(SecondFactorRequired, match="two_factor_required = everyone"):
        _service(database, EVERYONE).authenticate(Credentials(secret), project="p", now=NOW,
                                                  action=READ)


def test_a_token_that_does_not_reach_the_project_says_so_first(database: Database,
                                                               alice: User) -> None:
    _service(database, NOBODY).create("alice", now=NOW, read_only=True)
    secret = _service(database, NOBODY).create("alice", now=NOW, read_only=True)
    with pytest.raises(Forbidden, match="read-only") as caught:
        _service(database, EVERYONE).authenticate(Credentials(secret), project="p", now=NOW)
    assert not isinstance(caught.value, SecondFactorRequired)


def test_the_policy_costs_the_upload_no_query(database: Database, alice: User) -> None:
    """The token's row, its user and whether they have a second factor: one statement on the
    upload's own read transaction (the last-used write aside, at most once a minute)."""
    if not database.is_sqlite:
        pytest.skip("counts statements through SQLite's trace callback")
    tokens = _service(database, UPLOADERS)
    _set_totp(database, alice, "A" * 32)
    secret = tokens.create("alice", now=NOW)
    tokens.authenticate(Credentials(secret), project="p", now=NOW)  # records its last use
    statements: list[str] = []
    with database.read_connection() as reading:
        driver = reading.connection.driver_connection
        assert driver is not None
        driver.set_trace_callback(statements.append)
        try:
            tokens.authenticate(Credentials(secret), project="p", now=NOW, reading=reading)
        finally:
            driver.set_trace_callback(None)
    assert len(statements) == 1, statements
    assert "security_keys" in statements[0]


def test_under_critical_an_upload_to_a_critical_project_needs_a_second_factor_after_the_grace(
        database: Database, alice: User) -> None:
    from strongroom.config import Limits
    from strongroom.critical import CriticalProjects
    from strongroom.projects import ProjectService

    projects = ProjectService(database, Limits(), on_commit=lambda _written: None)
    projects.create("popular", owner="alice", actor="admin")
    projects.create("quiet", owner="alice", actor="admin")
    CriticalProjects(database).mark("popular", critical=True, now=NOW, actor="admin")
    tokens = TokenService(database, policy=TokenPolicy(TwoFactorRequired.CRITICAL, BASE,
                                                       dt.timedelta(days=14)))
    token = Credentials(tokens.create("alice", now=NOW))  # made freely under this policy
    during = NOW + dt.timedelta(days=13)
    after = NOW + dt.timedelta(days=14)
    assert tokens.authenticate(token, project="popular", now=during).name == "alice"
    with pytest.raises(SecondFactorRequired) as caught:
        tokens.authenticate(token, project="popular", now=after)
    assert caught.value.message == (
        "project 'popular' is a critical project, whose maintainers must use two-factor "
        "authentication (two_factor_required = critical), and user 'alice' has none: "
        + WHAT_TO_DO)
    assert tokens.authenticate(token, project="quiet", now=after).name == "alice"
    assert tokens.authenticate(token, project="popular", now=after, action=READ).name == "alice"
    _set_totp(database, alice, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    assert tokens.authenticate(token, project="popular", now=after).name == "alice"
    _set_totp(database, alice, None)
    nobody = _service(database, NOBODY)
    assert nobody.authenticate(token, project="popular", now=after).name == "alice"
