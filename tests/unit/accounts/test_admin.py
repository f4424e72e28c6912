"""An administrator's work on accounts: disabling, deleting, resetting second factors, each
in the security history."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from strongroom.accounts import AccountAdmin, AccountDependent, AccountService, User
from strongroom.accounts.models import (
    AccountLink,
    Email,
    RecoveryCode,
    SecurityKey,
    WebSession,
)
from strongroom.db import journal
from strongroom.db.engine import Database
from strongroom.db.models import JournalEntry
from strongroom.domain.names import normalize
from strongroom.domain.principals import Credentials
from strongroom.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from strongroom.history import EventKind, History, SecurityEvent
from strongroom.projects import Project, Role, leave_projects
from strongroom.tokens import Token, TokenService, forget_tokens
from strongroom.upload import Release, forget_uploader

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(days=1)
DEPENDENTS: tuple[AccountDependent, ...] = (leave_projects, forget_tokens, forget_uploader)


def _user(database: Database, name: str) -> User:
    return AccountService(database).create_user(name, email=f"{name}@example.org",
                                                password="a long enough password")


def _project(database: Database, name: str, roles: dict[User, str]) -> int:
    with database.write() as session:
        project = Project(name=name, normalized_name=normalize(name))
        session.add(project)
        session.flush()
        for user, role in roles.items():
            session.add(Role(project_id=project.id, user_id=user.id, role=role))
        return project.id


def _factors(database: Database, user: User, tag: str) -> None:
    """A TOTP secret, two security keys, three recovery codes, two web sessions and a mailed
    link for ``user``."""
    with database.write() as session:
        row = session.get(User, user.id)
        assert row is not None
        row.totp_secret, row.totp_last_step = "JBSWY3DPEHPK3PXP", 123
        for n in range(2):
            session.add(SecurityKey(user_id=user.id, name=f"key {n}",
                                    credential_id=f"{tag}{n}".encode(), public_key=b"k"))
            session.add(WebSession(id=f"{tag}-session-{n}", user_id=user.id, csrf="c",
                                   expires=LATER))
        for n in range(3):
            session.add(RecoveryCode(user_id=user.id, code_hash=f"hash {n}"))
        session.add(AccountLink(id=f"{tag}-link", user_id=user.id, purpose="verify",
                                expires=LATER))


def _count(database: Database, table: type, user_id: int) -> int:
    with database.read() as session:
        return session.scalar(select(func.count()).select_from(table)
                              .where(table.user_id == user_id)) or 0  # type: ignore[attr-defined]


@pytest.fixture
def people(database: Database) -> dict[str, User]:
    """alice: sole Owner of 'Solo', co-Owner of 'Shared' with bob, Maintainer of carol's
    'Helped'; uploader of a release of 'Shared'; with an API token and second factors."""
    users = {name: _user(database, name) for name in ("alice", "bob", "carol")}
    alice, bob, carol = users["alice"], users["bob"], users["carol"]
    _project(database, "Solo", {alice: "Owner"})
    shared = _project(database, "Shared", {alice: "Owner", bob: "Owner"})
    _project(database, "Helped", {carol: "Owner", alice: "Maintainer"})
    with database.write() as session:
        session.add(Release(project_id=shared, version="1.0", canonical_version="1",
                            uploader_id=alice.id))
    _factors(database, alice, "alice")
    _factors(database, bob, "bob")
    return users


def test_disabling_and_enabling_are_recorded_once_per_change(database: Database) -> None:
    alice = _user(database, "alice")
    accounts = AccountService(database)

    accounts.set_active("ALICE", active=False, now=NOW, actor="root")
    accounts.set_active("alice", active=False, now=NOW)  # already so: nothing to record
    accounts.set_active("alice", active=True, now=LATER)

    events = History(database).for_user(alice.id, limit=10)
    assert [(e.kind, e.created, e.details) for e in events
            if e.kind != "account.created"] == [
        ("account.enabled", LATER, {"by": "admin"}),
        ("account.disabled", NOW, {"by": "root"})]


def test_a_sole_owner_is_not_deleted_and_the_error_names_their_projects(
        database: Database, people: dict[str, User]) -> None:
    alice = people["alice"]
    _project(database, "Also-Solo", {alice: "Owner"})
    secret = TokenService(database).create("alice", now=NOW)
    admin = AccountAdmin(database, dependents=DEPENDENTS)

    for dry_run in (True, False):
        with pytest.raises(Conflict) as refused:
            admin.delete("alice", now=LATER, actor="admin", dry_run=dry_run)
        assert refused.value.message == (
            "user 'alice' is the only Owner of 'Also-Solo', 'Solo': a project always keeps an "
            "Owner, so transfer ownership first (make another user an Owner), then delete the "
            "account")

    assert _count(database, Role, alice.id) == 4
    assert _count(database, Email, alice.id) == 1
    assert TokenService(database).authenticate(Credentials(secret), project="solo",
                                               now=LATER).name == "alice"
    assert "account.deleted" not in {e.kind for e in History(database).find(limit=100)}


def test_a_dry_run_says_what_would_go_and_changes_nothing(
        database: Database, people: dict[str, User]) -> None:
    alice, bob = people["alice"], people["bob"]
    with database.write() as session:  # bob becomes an Owner of Solo too
        solo = session.scalar(select(Project.id).where(Project.name == "Solo"))
        session.add(Role(project_id=solo, user_id=bob.id, role="Owner"))
    TokenService(database).create("alice", now=NOW)
    written: list[journal.Written] = []
    admin = AccountAdmin(database, dependents=DEPENDENTS, on_commit=written.append)

    plan = admin.delete("Alice", now=LATER, actor="admin", dry_run=True)

    assert plan.username == "alice"
    assert plan.released == (
        "3 role(s) removed (Maintainer of Helped, Owner of Shared, Owner of Solo)",
        "1 API token(s) deleted",
        "1 release(s) kept, no longer linked to the account",
        "1 e-mail address(es), 2 web session(s) and every second factor deleted")
    assert written == []
    assert (_count(database, Role, alice.id), _count(database, Token, alice.id),
            _count(database, WebSession, alice.id)) == (3, 1, 2)
    with database.read() as session:
        assert session.scalar(select(func.max(JournalEntry.id))) is None
    assert History(database).for_user(alice.id, limit=100)[0].kind == "token.created"


def test_deleting_an_account_keeps_its_history_and_what_it_published(
        database: Database, people: dict[str, User]) -> None:
    alice, bob = people["alice"], people["bob"]
    with database.write() as session:
        solo = session.scalar(select(Project.id).where(Project.name == "Solo"))
        session.add(Role(project_id=solo, user_id=bob.id, role="Owner"))
    tokens = TokenService(database)
    secret = tokens.create("alice", now=NOW, description="laptop")
    History(database).record_now(EventKind.LOGIN, user=alice, address="192.0.2.1", now=NOW)
    written: list[journal.Written] = []

    deleted = AccountAdmin(database, dependents=DEPENDENTS, on_commit=written.append).delete(
        "alice", now=LATER, actor="admin")

    assert deleted.username == "alice"
    assert deleted.released[0].startswith("3 role(s) removed")
    with database.read() as session:
        assert session.scalar(select(User).where(User.username == "alice")) is None
        entries = session.execute(select(JournalEntry.project, JournalEntry.action,
                                         JournalEntry.submitted_by)
                                  .order_by(JournalEntry.id)).all()
        serials = {row.normalized_name: row.last_serial for row in session.execute(
            select(Project.normalized_name, Project.last_serial))}
        release = session.scalar(select(Release))
        assert release is not None
        assert release.uploader_id is None
        # Nothing of the account's own is left behind.
        for table in (Email, RecoveryCode, SecurityKey, WebSession, AccountLink, Token, Role):
            assert session.scalar(select(func.count()).select_from(table)
                                  .where(table.user_id == alice.id)) == 0, table
        kept = session.execute(select(SecurityEvent.kind, SecurityEvent.user_id,
                                      SecurityEvent.username)
                               .where(SecurityEvent.username == "alice")
                               .order_by(SecurityEvent.id)).all()
    assert [tuple(e) for e in entries] == [("helped", "remove Maintainer alice", "admin"),
                                           ("shared", "remove Owner alice", "admin"),
                                           ("solo", "remove Owner alice", "admin")]
    assert serials == {"helped": 1, "shared": 2, "solo": 3}
    assert written == [journal.Written(3, {"helped": frozenset(), "shared": frozenset(),
                                           "solo": frozenset()})]
    assert [kind for kind, _id, _name in kept] == [
        "account.created", "token.created", "login", "role.removed", "role.removed", "role.removed",
        "token.revoked", "account.deleted"]
    assert {(user_id, name) for _kind, user_id, name in kept} == {(None, "alice")}
    [last] = History(database).find(former_username="ALICE", limit=1)
    assert (last.kind, last.created, last.details["by"]) == ("account.deleted", LATER, "admin")
    assert last.details["released"] == list(deleted.released)
    with pytest.raises(NotAuthenticated, match="unknown or revoked"):
        tokens.authenticate(Credentials(secret), project="solo", now=LATER)
    # bob is untouched, and the name is free again.
    assert _count(database, WebSession, bob.id) == 2
    assert History(database).find(former_username="bob", limit=1) == []
    _user(database, "alice")


def test_deleting_an_unknown_user_is_not_found(database: Database) -> None:
    with pytest.raises(NotFound, match="no user named 'nobody'"):
        AccountAdmin(database, dependents=DEPENDENTS).delete("nobody", now=NOW, actor="admin")


def test_a_dependent_left_out_shows_as_a_refused_deletion(
        database: Database, people: dict[str, User]) -> None:
    carol = people["carol"]
    with pytest.raises(IntegrityError, match=r"(?i)foreign key"):  # her role points at her
        AccountAdmin(database).delete("carol", now=NOW, actor="admin")
    assert _count(database, Role, carol.id) == 1


def test_reset_removes_every_second_factor_and_session_and_records_why(
        database: Database, people: dict[str, User]) -> None:
    alice, bob = people["alice"], people["bob"]
    secret = TokenService(database).create("alice", now=NOW)

    reset = AccountAdmin(database).reset_second_factors(
        "ALICE", reason="lost her phone;\n  verified by video call", now=LATER, actor="admin")

    assert (reset.username, reset.totp, reset.security_keys, reset.recovery_codes,
            reset.sessions) == ("alice", True, 2, 3, 2)
    with database.read() as session:
        row = session.get(User, alice.id)
        assert row is not None
        assert (row.totp_secret, row.totp_last_step) == (None, None)
    for table in (SecurityKey, RecoveryCode, WebSession):
        assert _count(database, table, alice.id) == 0
        assert _count(database, table, bob.id) > 0
    assert _count(database, Email, alice.id) == 1
    assert TokenService(database).authenticate(Credentials(secret), project="solo",
                                               now=LATER).name == "alice"
    [event] = [e for e in History(database).for_user(alice.id, limit=10)
               if e.kind == "2fa.reset"]
    assert (event.created, event.details) == (LATER, {
        "by": "admin", "reason": "lost her phone; verified by video call", "totp": True,
        "security_keys": 2, "recovery_codes": 3, "sessions": 2})

    again = AccountAdmin(database).reset_second_factors("alice", reason="twice", now=LATER,
                                                        actor="admin")
    assert (again.totp, again.security_keys, again.recovery_codes, again.sessions) == (
        False, 0, 0, 0)


def test_a_reset_needs_a_reason(database: Database, people: dict[str, User]) -> None:
    alice = people["alice"]
    for reason in ("", "  \n", "x" * 1001):
        with pytest.raises(InvalidInput, match="why the second factors are reset"):
            AccountAdmin(database).reset_second_factors("alice", reason=reason, now=NOW,
                                                        actor="admin")
    assert _count(database, SecurityKey, alice.id) == 2
    with pytest.raises(NotFound, match="no user named 'nobody'"):
        AccountAdmin(database).reset_second_factors("nobody", reason="r", now=NOW,
                                                    actor="admin")
