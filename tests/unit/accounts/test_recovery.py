"""RecoveryCodeService: eight single-use codes, stored only as hashes, replaced as a set."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from strongroom.accounts import AccountService, RecoveryCodeService
from strongroom.accounts.models import RecoveryCode
from strongroom.db.engine import Database
from strongroom.errors import NotFound
from tests.unit.accounts.conftest import at_once

NOW = dt.datetime(2030, 1, 2, 3, 4, 5, tzinfo=dt.UTC)
LATER = NOW + dt.timedelta(hours=1)


@pytest.fixture
def recovery(database: Database) -> RecoveryCodeService:
    return RecoveryCodeService(database)


def _stored(database: Database, user_id: int) -> list[RecoveryCode]:
    with database.read() as session:
        return list(session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == user_id)
                                    .order_by(RecoveryCode.id)))


def test_eight_distinct_codes_stored_only_as_hashes(database: Database,
                                                    recovery: RecoveryCodeService,
                                                    alice: int) -> None:
    codes = recovery.generate_recovery_codes(alice, now=NOW)
    assert len(set(codes)) == 8
    assert all(re.fullmatch(r"[0-9a-f]{16}", code) for code in codes)
    stored = _stored(database, alice)
    assert len(stored) == 8
    assert all(row.code_hash.startswith("$argon2id$") and row.used is None
               and row.created == NOW for row in stored)
    hashes = " ".join(row.code_hash for row in stored)
    assert not any(code in hashes or code.upper() in hashes for code in codes)
    assert all(PasswordHasher().verify(row.code_hash, code)
               for row, code in zip(stored, codes, strict=True))
    assert recovery.remaining_recovery_codes(alice) == 8


def test_each_code_works_once(database: Database, recovery: RecoveryCodeService,
                              alice: int) -> None:
    codes = recovery.generate_recovery_codes(alice, now=NOW)
    for used, code in enumerate(reversed(codes), start=1):
        assert recovery.use_recovery_code(alice, code, now=LATER) is True
        assert recovery.use_recovery_code(alice, code, now=LATER) is False
        assert recovery.remaining_recovery_codes(alice) == 8 - used
    assert [row.used for row in _stored(database, alice)] == [LATER] * 8


@pytest.mark.parametrize("typed", ["{upper}", "{dashed}", " {spaced} ", "{upper_dashed}"])
def test_case_whitespace_and_dashes_do_not_matter(recovery: RecoveryCodeService, alice: int,
                                                  typed: str) -> None:
    code = recovery.generate_recovery_codes(alice, now=NOW)[3]
    shown = typed.format(upper=code.upper(), dashed=f"{code[:4]}-{code[4:8]}-{code[8:]}",
                         spaced=f"{code[:8]} {code[8:]}",
                         upper_dashed=f"{code[:8].upper()}-{code[8:].upper()}")
    assert recovery.use_recovery_code(alice, shown, now=LATER) is True
    assert recovery.use_recovery_code(alice, code, now=LATER) is False


@pytest.mark.parametrize("code", ["", "0" * 16, "not a code at all", "g" * 16, "00" * 9])
def test_an_unknown_code_is_refused(recovery: RecoveryCodeService, alice: int,
                                    code: str) -> None:
    recovery.generate_recovery_codes(alice, now=NOW)
    assert recovery.use_recovery_code(alice, code, now=LATER) is False
    assert recovery.remaining_recovery_codes(alice) == 8


def test_a_new_set_replaces_the_old(database: Database, recovery: RecoveryCodeService,
                                    accounts: AccountService, alice: int) -> None:
    bob = accounts.create_user("bob", email="bob@example.org", password="a long enough password")
    bobs = recovery.generate_recovery_codes(bob.id, now=NOW)
    old = recovery.generate_recovery_codes(alice, now=NOW)
    assert recovery.use_recovery_code(alice, old[0], now=NOW) is True
    new = recovery.generate_recovery_codes(alice, now=LATER)
    assert not set(old) & set(new)
    assert recovery.remaining_recovery_codes(alice) == 8
    assert not any(recovery.use_recovery_code(alice, code, now=LATER) for code in old)
    assert recovery.use_recovery_code(alice, new[0], now=LATER) is True
    assert len(_stored(database, alice)) == 8
    # Another user's codes are neither replaced nor accepted for alice.
    assert recovery.remaining_recovery_codes(bob.id) == 8
    assert recovery.use_recovery_code(alice, bobs[0], now=LATER) is False
    assert recovery.use_recovery_code(bob.id, bobs[0], now=LATER) is True


def test_one_code_given_twice_at_once_passes_once(recovery: RecoveryCodeService,
                                                  alice: int) -> None:
    codes = recovery.generate_recovery_codes(alice, now=NOW)
    for code in codes[:3]:
        # The lambdas run before the loop moves on, so they see this round's values.
        results = at_once([lambda: recovery.use_recovery_code(alice, code, now=LATER)]  # noqa: B023
                          * 4)
        assert sorted(results) == [False, False, False, True]
    assert recovery.remaining_recovery_codes(alice) == 5


def test_users_without_codes_and_unknown_users(recovery: RecoveryCodeService,
                                               alice: int) -> None:
    assert recovery.remaining_recovery_codes(alice) == 0
    assert recovery.use_recovery_code(alice, "0123456789abcdef", now=NOW) is False
    with pytest.raises(NotFound, match="no user with id 999"):
        recovery.generate_recovery_codes(999, now=NOW)
    with pytest.raises(NotFound):
        recovery.use_recovery_code(999, "0123456789abcdef", now=NOW)
    assert recovery.remaining_recovery_codes(999) == 0
