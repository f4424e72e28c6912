"""Mailed links work once and only until they expire; web sessions expire, end with a disabled
account, and are replaced (never reused) at login and at the second factor."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest

from strongroom.accounts import AccountService, Client, Links, SessionService, TotpService
from strongroom.db.base import utcnow
from strongroom.db.engine import Database
from strongroom.errors import InvalidInput
from strongroom.history import History

CLIENT = Client("192.0.2.1", "test-agent/1.0")
PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def user_id(database: Database) -> int:
    return AccountService(database).create_user("alice", email="alice@example.org",
                                                password=PASSWORD).id


def test_a_verification_link_works_once_and_not_after_a_day(database: Database,
                                                             user_id: int) -> None:
    links, now = Links(database), utcnow()
    late = links.verification(user_id, "alice@example.org", now=now)
    with pytest.raises(InvalidInput, match="not valid"):
        links.verify(late.secret, CLIENT, now=now + dt.timedelta(hours=24, seconds=1))
    link = links.verification(user_id, "ALICE@example.org", now=now)
    assert links.verify(link.secret, CLIENT, now=now) == "alice@example.org"
    with pytest.raises(InvalidInput, match="not valid"):
        links.verify(link.secret, CLIENT, now=now)
    with pytest.raises(InvalidInput, match="verified already"):
        links.verification(user_id, "alice@example.org", now=now)


def test_a_reset_goes_only_to_a_verified_address(database: Database, user_id: int) -> None:
    links, now = Links(database), utcnow()
    assert links.password_reset("alice", now=now) is None
    assert links.password_reset("alice@example.org", now=now) is None
    links.verify(links.verification(user_id, "alice@example.org", now=now).secret, CLIENT,
                 now=now)
    by_name = links.password_reset("ALICE", now=now)
    by_address = links.password_reset("Alice@Example.org", now=now)
    assert by_name is not None
    assert by_address is not None
    assert by_name.address == by_address.address == "alice@example.org"
    assert by_name.secret != by_address.secret
    assert links.password_reset("nobody", now=now) is None
    # A verification link is not a reset link, nor the other way round.
    with pytest.raises(InvalidInput):
        links.verify(by_name.secret, CLIENT, now=now)


def test_sessions_are_replaced_at_login_and_expire(database: Database, user_id: int) -> None:
    sessions, now = SessionService(database), utcnow()
    first = sessions.sign_in(None, user_id, now=now)
    view = sessions.find(first, now=now)
    assert view is not None
    assert view.user_id == user_id
    second = sessions.sign_in(first, user_id, now=now)
    assert second != first
    assert sessions.find(first, now=now) is None  # the old secret is gone
    assert sessions.find(second, now=now + dt.timedelta(hours=12)) is None  # expired
    assert sessions.find(second, now=now + dt.timedelta(hours=11)) is not None
    AccountService(database).set_active("alice", active=False)
    assert sessions.find(second, now=now) is None


def test_a_second_factor_is_owed_before_a_session_is_signed_in(database: Database,
                                                               user_id: int) -> None:
    sessions, now = SessionService(database), utcnow()
    totp = TotpService(database)
    enrolment = totp.enrol_totp(user_id)
    totp.confirm_totp(user_id, enrolment.secret, pyotp.TOTP(enrolment.secret).at(now), now=now)
    secret = sessions.sign_in(None, user_id, now=now)
    pending = sessions.find(secret, now=now)
    assert pending is not None
    assert pending.user_id is None
    assert pending.pending_user_id == user_id
    given = sessions.second_factor_given(secret, now=now)
    assert given != secret
    assert sessions.find(secret, now=now) is None
    complete = sessions.find(given, now=now)
    assert complete is not None
    assert complete.user_id == user_id


def test_an_account_made_by_an_admin_or_by_registration_is_recorded(database: Database,
                                                                    user_id: int) -> None:
    accounts, now = AccountService(database), utcnow()
    bob = accounts.create_user("bob", email="bob@example.org", password=PASSWORD,
                               client=CLIENT, now=now)
    made = {e.username: (e.kind, e.details, e.address, e.user_agent)
            for user in (user_id, bob.id) for e in History(database).for_user(user, limit=5)}
    assert made == {
        "alice": ("account.created", {"by": "admin"}, None, None),
        "bob": ("account.created", {"by": "registration"}, "192.0.2.1", "test-agent/1.0")}


def test_ending_a_session_with_a_user_in_it_is_recorded_once(database: Database,
                                                             user_id: int) -> None:
    sessions, now = SessionService(database), utcnow()
    secret = sessions.sign_in(None, user_id, now=now)
    later = now + dt.timedelta(minutes=5)
    sessions.end(secret, CLIENT, now=later)
    sessions.end(secret, CLIENT, now=later)  # gone already: nothing more to record
    sessions.end("never-issued", CLIENT, now=later)
    assert sessions.find(secret, now=later) is None
    events = History(database).for_user(user_id, limit=5)
    assert [(e.kind, e.created, e.address) for e in events if e.kind == "logout"] == [
        ("logout", later, "192.0.2.1")]
