"""TotpService: enrolment confirmed by a code, ±1 step, no step's code accepted twice, even by
two requests at once. Codes come from pyotp at instants the test chooses."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pyotp
import pytest
from sqlalchemy import select

from strongroom.accounts import AccountService, TotpService, User
from strongroom.db.engine import Database
from strongroom.errors import Conflict, InvalidInput, NotFound
from tests.unit.accounts.conftest import at_once

# The start of a 30-second step, so that NOW + k * STEP is the start of step k after it.
NOW = dt.datetime(2030, 1, 2, 3, 4, 30, tzinfo=dt.UTC)
STEP = dt.timedelta(seconds=30)


def _code(secret: str, at: dt.datetime) -> str:
    return pyotp.TOTP(secret).at(at)


@pytest.fixture
def totp(database: Database) -> TotpService:
    return TotpService(database)


@pytest.fixture
def secret(totp: TotpService, alice: int) -> str:
    """alice's TOTP secret, enrolled and confirmed with the code of the step before NOW."""
    enrolment = totp.enrol_totp(alice)
    totp.confirm_totp(alice, enrolment.secret, _code(enrolment.secret, NOW - STEP),
                      now=NOW - STEP)
    return enrolment.secret


def _stored(database: Database, user_id: int) -> tuple[str | None, int | None]:
    with database.read() as session:
        row = session.execute(select(User.totp_secret, User.totp_last_step)
                              .where(User.id == user_id)).one()
    return row.totp_secret, row.totp_last_step


def test_enrolment_gives_a_160_bit_secret_and_its_uri_and_stores_nothing(
        database: Database, totp: TotpService, accounts: AccountService, alice: int) -> None:
    enrolment = totp.enrol_totp(alice)
    assert len(enrolment.secret) == 32
    assert set(enrolment.secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    uri = urlsplit(enrolment.uri)
    assert (uri.scheme, uri.netloc, uri.path) == ("otpauth", "totp", "/Strongroom:alice")
    assert parse_qs(uri.query) == {"secret": [enrolment.secret], "issuer": ["Strongroom"]}
    assert pyotp.parse_uri(enrolment.uri).now() == pyotp.TOTP(enrolment.secret).now()
    assert enrolment.secret not in repr(enrolment)
    assert totp.enrol_totp(alice).secret != enrolment.secret  # a fresh one each time
    assert _stored(database, alice) == (None, None)
    assert accounts.has_second_factor(alice) is False
    assert totp.verify_totp(alice, _code(enrolment.secret, NOW), now=NOW) is False


def test_the_issuer_is_the_index_name(database: Database, alice: int) -> None:
    uri = TotpService(database, issuer="ACME Packages").enrol_totp(alice).uri
    assert urlsplit(uri).path == "/ACME%20Packages:alice"
    assert parse_qs(urlsplit(uri).query)["issuer"] == ["ACME Packages"]


def test_a_wrong_code_does_not_confirm_and_the_right_one_does(
        database: Database, totp: TotpService, accounts: AccountService, alice: int) -> None:
    enrolment = totp.enrol_totp(alice)
    right = _code(enrolment.secret, NOW)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for code in (wrong, _code(enrolment.secret, NOW + 2 * STEP), "", "12345", "abcdef"):
        with pytest.raises(InvalidInput, match=r"^code: does not match"):
            totp.confirm_totp(alice, enrolment.secret, code, now=NOW)
    assert _stored(database, alice) == (None, None)

    totp.confirm_totp(alice, enrolment.secret, right, now=NOW)
    assert _stored(database, alice) == (enrolment.secret, int(NOW.timestamp()) // 30)
    assert accounts.has_second_factor(alice) is True
    # The confirming code is used up: it does not also sign in.
    assert totp.verify_totp(alice, right, now=NOW) is False
    with pytest.raises(Conflict, match="already set up"):
        totp.enrol_totp(alice)
    with pytest.raises(Conflict, match="already set up"):
        totp.confirm_totp(alice, enrolment.secret, right, now=NOW)


@pytest.mark.parametrize("secret", ["A" * 16, "A" * 31 + "1", "a" * 32, "A" * 33, ""])
def test_a_secret_that_enrolment_would_not_make_is_refused(totp: TotpService, alice: int,
                                                           secret: str) -> None:
    with pytest.raises(InvalidInput, match=r"^secret: not a TOTP secret of 32 base32"):
        totp.confirm_totp(alice, secret, "123456", now=NOW)


def test_a_code_is_accepted_once(totp: TotpService, secret: str, alice: int) -> None:
    code = _code(secret, NOW)
    assert totp.verify_totp(alice, code, now=NOW) is True
    assert totp.verify_totp(alice, code, now=NOW) is False  # replay
    assert totp.verify_totp(alice, code, now=NOW + STEP) is False  # still in the window
    # The step before the accepted one is refused though its code is in the window.
    assert totp.verify_totp(alice, _code(secret, NOW - STEP), now=NOW) is False
    # The next step's code is good, typed during this step or the next.
    assert totp.verify_totp(alice, _code(secret, NOW + STEP), now=NOW + STEP / 2) is True
    assert totp.verify_totp(alice, _code(secret, NOW + 2 * STEP), now=NOW + 2 * STEP) is True


def test_an_earlier_step_is_refused_after_a_later_one(totp: TotpService, secret: str,
                                                      alice: int) -> None:
    # A code for the step after now (a fast clock) uses up now's step too.
    assert totp.verify_totp(alice, _code(secret, NOW + STEP), now=NOW) is True
    assert totp.verify_totp(alice, _code(secret, NOW), now=NOW) is False
    assert totp.verify_totp(alice, _code(secret, NOW + 2 * STEP), now=NOW + STEP) is True


def test_the_window_is_one_step_either_side(totp: TotpService, secret: str, alice: int) -> None:
    later = NOW + 10 * STEP
    for outside in (later - 2 * STEP, later + 2 * STEP):
        assert totp.verify_totp(alice, _code(secret, outside), now=later) is False
    assert totp.verify_totp(alice, _code(secret, later - STEP), now=later + STEP - dt.timedelta(
        seconds=1)) is True


@pytest.mark.parametrize("typed", ["{} {}", " {}{} ", "{}\t{}"])
def test_spaces_in_a_code_are_ignored(totp: TotpService, secret: str, alice: int,
                                      typed: str) -> None:
    code = _code(secret, NOW)
    assert totp.verify_totp(alice, typed.format(code[:3], code[3:]), now=NOW) is True


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", "١٢٣٤٥٦"])
def test_a_malformed_code_is_refused(totp: TotpService, secret: str, alice: int,
                                     code: str) -> None:
    assert totp.verify_totp(alice, code, now=NOW) is False


def test_two_requests_with_one_fresh_code_pass_once(database: Database, totp: TotpService,
                                                    secret: str, alice: int) -> None:
    for round_ in range(5):
        now = NOW + round_ * STEP
        code = _code(secret, now)
        # The lambdas run before the loop moves on, so they see this round's values.
        results = at_once([lambda: totp.verify_totp(alice, code, now=now)] * 4)  # noqa: B023
        assert sorted(results) == [False, False, False, True], round_
        assert _stored(database, alice)[1] == int(now.timestamp()) // 30


def test_removing_totp_forgets_the_secret(totp: TotpService, accounts: AccountService,
                                          secret: str, alice: int) -> None:
    totp.remove_totp(alice)
    assert accounts.has_second_factor(alice) is False
    assert totp.verify_totp(alice, _code(secret, NOW), now=NOW) is False
    totp.remove_totp(alice)  # again: nothing to do
    enrolment = totp.enrol_totp(alice)
    totp.confirm_totp(alice, enrolment.secret, _code(enrolment.secret, NOW), now=NOW)
    assert totp.verify_totp(alice, _code(enrolment.secret, NOW + STEP), now=NOW + STEP) is True


def test_an_unknown_user_is_not_found(totp: TotpService, alice: int) -> None:
    secret = pyotp.random_base32()
    with pytest.raises(NotFound, match="no user with id 999"):
        totp.enrol_totp(999)
    with pytest.raises(NotFound):
        totp.confirm_totp(999, secret, _code(secret, NOW), now=NOW)
    with pytest.raises(NotFound):
        totp.verify_totp(999, "123456", now=NOW)
    with pytest.raises(NotFound):
        totp.remove_totp(999)


def test_a_naive_time_is_a_programming_error(totp: TotpService, secret: str,
                                             alice: int) -> None:
    with pytest.raises(ValueError, match="aware"):
        totp.verify_totp(alice, _code(secret, NOW), now=NOW.replace(tzinfo=None))
