"""AccountService.verify_password, change_password and has_second_factor."""

from __future__ import annotations

import datetime as dt
import time
from functools import partial

import pytest
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import select

from strongroom.accounts import AccountService, User
from strongroom.accounts.models import SecurityKey
from strongroom.db.engine import Database
from strongroom.errors import Conflict, InvalidInput, NotAuthenticated, NotFound
from tests.unit.accounts.conftest import PASSWORD, at_once

NOW = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
NEW_PASSWORD = "another perfectly good phrase"


def _stored_hash(database: Database, user_id: int) -> str:
    with database.read() as session:
        return session.scalars(select(User.password_hash).where(User.id == user_id)).one()


def test_the_right_password_gives_the_user(accounts: AccountService, alice: int) -> None:
    user = accounts.verify_password("ALICE", PASSWORD)
    assert (user.id, user.username, user.is_active) == (alice, "alice", True)
    assert user.primary_email is not None  # loaded: the caller may use it
    assert user.primary_email.address == "alice@example.org"


@pytest.mark.parametrize(("username", "password"), [
    ("alice", PASSWORD + "!"), ("alice", ""), ("alice", PASSWORD.upper()),
    ("alice", "x" * 5000), ("nobody", PASSWORD), ("", "")])
def test_a_wrong_password_and_an_unknown_user_read_the_same(
        accounts: AccountService, alice: int, username: str, password: str) -> None:
    with pytest.raises(NotAuthenticated) as refused:
        accounts.verify_password(username, password)
    assert refused.value.message == "wrong username or password"


def test_an_unknown_user_costs_a_hash_as_a_known_one_does(database: Database, alice: int) -> None:
    slow = AccountService(database, PasswordHasher(time_cost=4, memory_cost=32 * 1024))
    slow.verify_password("alice", PASSWORD)  # now rehashed with these parameters

    def cost(username: str) -> float:
        best = float("inf")
        for _ in range(3):
            started = time.perf_counter()
            with pytest.raises(NotAuthenticated):
                slow.verify_password(username, "not the password")
            best = min(best, time.perf_counter() - started)
        return best

    # Without the dummy hash an unknown name would answer in a fraction of a millisecond.
    assert cost("nobody") > cost("alice") / 3


def test_a_disabled_user_is_refused_after_the_password(accounts: AccountService,
                                                      alice: int) -> None:
    accounts.set_active("alice", active=False)
    with pytest.raises(NotAuthenticated) as wrong:
        accounts.verify_password("alice", "not the password")
    assert wrong.value.message == "wrong username or password"
    with pytest.raises(NotAuthenticated) as disabled:
        accounts.verify_password("alice", PASSWORD)
    assert disabled.value.message == "the account is disabled"
    accounts.set_active("alice", active=True)
    assert accounts.verify_password("alice", PASSWORD).id == alice


def test_a_hash_with_old_parameters_is_replaced_at_login(database: Database,
                                                         accounts: AccountService,
                                                         alice: int) -> None:
    old = _stored_hash(database, alice)
    assert extract_parameters(old).time_cost == 1
    stronger = AccountService(database, PasswordHasher(time_cost=2, memory_cost=2048,
                                                       parallelism=1))
    assert stronger.verify_password("alice", PASSWORD).password_hash != old
    new = _stored_hash(database, alice)
    assert (extract_parameters(new).time_cost, extract_parameters(new).memory_cost) == (2, 2048)
    stronger.verify_password("alice", PASSWORD)
    assert _stored_hash(database, alice) == new  # current parameters: left alone
    accounts.verify_password("alice", PASSWORD)  # the old service still reads the new hash
    with pytest.raises(NotAuthenticated):
        stronger.verify_password("alice", "not the password")
    with database.read() as session:
        assert session.get(User, alice).password_changed is None  # type: ignore[union-attr]


def test_change_password_checks_the_old_one_and_the_policy(database: Database,
                                                           accounts: AccountService,
                                                           alice: int) -> None:
    with pytest.raises(NotAuthenticated, match=r"^current password: wrong password$"):
        accounts.change_password(alice, "not the password", NEW_PASSWORD, now=NOW)
    for weak, says in (("short", "must be 12"), ("alice1234567", "too easy to guess")):
        with pytest.raises(InvalidInput, match=f"^password: {says}"):
            accounts.change_password(alice, PASSWORD, weak, now=NOW)
    accounts.verify_password("alice", PASSWORD)  # nothing changed yet

    accounts.change_password(alice, PASSWORD, NEW_PASSWORD, now=NOW)
    assert accounts.verify_password("alice", NEW_PASSWORD).password_changed == NOW
    with pytest.raises(NotAuthenticated):
        accounts.verify_password("alice", PASSWORD)
    with pytest.raises(NotAuthenticated, match="current password"):
        accounts.change_password(alice, PASSWORD, "yet another fine phrase", now=NOW)
    with pytest.raises(NotFound, match="no user with id 999"):
        accounts.change_password(999, PASSWORD, NEW_PASSWORD, now=NOW)


def test_a_disabled_user_cannot_change_the_password(accounts: AccountService,
                                                    alice: int) -> None:
    accounts.set_active("alice", active=False)
    with pytest.raises(NotAuthenticated, match="the account is disabled"):
        accounts.change_password(alice, PASSWORD, NEW_PASSWORD, now=NOW)


def test_of_two_changes_at_once_one_wins(database: Database, alice: int) -> None:
    # Both read the same hash and check the old password against it; the loser's write must
    # not replace the winner's password (Conflict, or NotAuthenticated if it read too late).
    accounts = AccountService(database, PasswordHasher(time_cost=2, memory_cost=16 * 1024,
                                                       parallelism=1))
    candidates = [f"concurrent passphrase number {n}" for n in range(4)]

    def change(new: str) -> str:
        try:
            accounts.change_password(alice, PASSWORD, new, now=NOW)
        except (Conflict, NotAuthenticated) as exc:
            return type(exc).__name__
        return "changed"

    outcomes = dict(zip(candidates, at_once([partial(change, new) for new in candidates]),
                        strict=True))
    [winner] = [new for new, outcome in outcomes.items() if outcome == "changed"]
    assert set(outcomes.values()) <= {"changed", "Conflict", "NotAuthenticated"}
    assert accounts.verify_password("alice", winner).id == alice
    for loser in set(candidates) - {winner}:
        with pytest.raises(NotAuthenticated):
            accounts.verify_password("alice", loser)


def test_has_second_factor_counts_totp_and_security_keys(database: Database,
                                                         accounts: AccountService,
                                                         alice: int) -> None:
    assert accounts.has_second_factor(alice) is False
    with database.write() as session:
        session.add(SecurityKey(user_id=alice, name="yubikey", credential_id=b"id",
                                public_key=b"key"))
    assert accounts.has_second_factor(alice) is True
    with database.write() as session:
        session.query(SecurityKey).delete()
        stored = session.get(User, alice)
        assert stored is not None
        stored.totp_secret = "A" * 32
    assert accounts.has_second_factor(alice) is True
    assert accounts.has_second_factor(999) is False
