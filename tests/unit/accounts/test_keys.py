"""Security keys against a software key (tests/softkey.py): registered
under a name and listed; a challenge answers once; one credential belongs to one account; a
signature from another account's key, another origin or relying party, or with a count that
does not rise is refused and recorded; removing a key."""

from __future__ import annotations

import json

import pytest

from strongroom.accounts import (
    AccountService,
    Client,
    RelyingParty,
    SecurityKeys,
    SessionService,
)
from strongroom.db.base import utcnow
from strongroom.db.engine import Database
from strongroom.errors import Conflict, InvalidInput, NotFound
from strongroom.history import History
from tests.softkey import SoftKey, b64url, unb64url
from tests.unit.accounts.conftest import at_once

CLIENT = Client("192.0.2.7", "test-agent/1.0")
PARTY = RelyingParty.for_base_url("https://Index.Example/pypi", name="Test index")


@pytest.fixture
def sessions(database: Database) -> SessionService:
    return SessionService(database)


@pytest.fixture
def keys(database: Database, sessions: SessionService) -> SecurityKeys:
    return SecurityKeys(database, sessions, PARTY)


@pytest.fixture
def bob(accounts: AccountService) -> int:
    return accounts.create_user("bob", email="bob@example.org",
                                password="another long enough password").id


def _session(sessions: SessionService, user_id: int) -> str:
    return sessions.sign_in(None, user_id, now=utcnow())


def _registered(keys: SecurityKeys, sessions: SessionService, user_id: int,
                name: str = "Blue key", **soft: bool) -> SoftKey:
    key = SoftKey(**soft)
    secret = _session(sessions, user_id)
    keys.register(user_id, secret, name, key.create(keys.registration_options(
        user_id, secret, name)), CLIENT, now=utcnow())
    return key


def _kinds(database: Database, user_id: int) -> list[str]:
    """The kinds of the user's events after the account was made, oldest first."""
    return [event.kind for event in reversed(History(database).for_user(user_id, limit=50))
            if event.kind != "account.created"]


def test_the_relying_party_is_the_base_urls_host() -> None:
    assert RelyingParty("index.example", "Test index", "https://index.example") == PARTY
    local = RelyingParty.for_base_url("http://localhost:8123", name="x")
    assert (local.id, local.origin) == ("localhost", "http://localhost:8123")


def test_options_follow_pypis_rules(keys: SecurityKeys, sessions: SessionService,
                                    alice: int) -> None:
    first = _registered(keys, sessions, alice)
    secret = _session(sessions, alice)
    options = json.loads(keys.registration_options(alice, secret, "Green key"))
    assert options["rp"] == {"id": "index.example", "name": "Test index"}
    assert options["attestation"] == "none"
    assert options["authenticatorSelection"]["userVerification"] == "discouraged"
    assert options["user"]["id"] == b64url(str(alice).encode())  # no name, no address
    assert options["user"]["name"] == "alice"
    assert [c["id"] for c in options["excludeCredentials"]] == [b64url(first.credential_id)]
    assert unb64url(options["challenge"]) == sessions.challenge(secret)
    login = json.loads(keys.authentication_options(alice, secret))
    assert login["rpId"] == "index.example"
    assert login["userVerification"] == "discouraged"
    assert [c["id"] for c in login["allowCredentials"]] == [b64url(first.credential_id)]


def test_a_key_is_registered_listed_used_and_removed(
        database: Database, accounts: AccountService, keys: SecurityKeys,
        sessions: SessionService, alice: int) -> None:
    assert not accounts.has_second_factor(alice)
    key = _registered(keys, sessions, alice, "  Blue key ")
    _registered(keys, sessions, alice, "Spare")
    listed = keys.of(alice)
    assert [k.name for k in listed] == ["Blue key", "Spare"]
    assert listed[0].last_used is None
    assert accounts.has_second_factor(alice)
    secret = _session(sessions, alice)
    assert keys.authenticate(alice, secret, key.get(keys.authentication_options(alice, secret)),
                             CLIENT, now=utcnow())
    assert keys.of(alice)[0].last_used is not None
    assert keys.remove(alice, listed[0].id, CLIENT, now=utcnow()) == "Blue key"
    with pytest.raises(NotFound):
        keys.remove(alice, listed[0].id, CLIENT, now=utcnow())
    assert [k.name for k in keys.of(alice)] == ["Spare"]
    # The last second factor may go too (README: what such an account may do is the policy's).
    keys.remove(alice, keys.of(alice)[0].id, CLIENT, now=utcnow())
    assert not accounts.has_second_factor(alice)
    assert _kinds(database, alice) == ["2fa.key.added", "2fa.key.added", "2fa.used",
                                       "2fa.key.removed", "2fa.key.removed"]


@pytest.mark.parametrize("name", ["", "   ", "x" * 101, "tab\there", "zero\u200bwidth"])
def test_a_key_needs_a_printable_name_of_1_to_100_characters(
        keys: SecurityKeys, sessions: SessionService, alice: int, name: str) -> None:
    with pytest.raises(InvalidInput, match="name"):
        keys.registration_options(alice, _session(sessions, alice), name)


def test_names_are_unique_per_user(keys: SecurityKeys, sessions: SessionService, alice: int,
                                   bob: int) -> None:
    _registered(keys, sessions, alice, "Blue key")
    with pytest.raises(Conflict, match="named"):
        keys.registration_options(alice, _session(sessions, alice), "BLUE KEY")
    _registered(keys, sessions, bob, "Blue key")  # another account may use the name
    # A name taken while the key was being touched is refused at registration.
    secret = _session(sessions, alice)
    options = keys.registration_options(alice, secret, "Green")
    _registered(keys, sessions, alice, "Green")
    with pytest.raises(Conflict, match="named"):
        keys.register(alice, secret, "green", SoftKey().create(options), CLIENT, now=utcnow())


def test_one_credential_belongs_to_one_account(keys: SecurityKeys, sessions: SessionService,
                                               alice: int, bob: int) -> None:
    key = _registered(keys, sessions, alice)
    for user_id, words in ((bob, "registered already$"), (alice, "to your account")):
        secret = _session(sessions, user_id)
        answer = key.create(keys.registration_options(user_id, secret, "Again"))
        with pytest.raises(Conflict, match=words):
            keys.register(user_id, secret, "Again", answer, CLIENT, now=utcnow())
    assert [k.name for k in keys.of(bob)] == []


def test_a_challenge_answers_once(keys: SecurityKeys, sessions: SessionService,
                                  alice: int) -> None:
    secret = _session(sessions, alice)
    key = SoftKey()
    answer = key.create(keys.registration_options(alice, secret, "Blue"))
    keys.register(alice, secret, "Blue", answer, CLIENT, now=utcnow())
    with pytest.raises(InvalidInput, match="no security key request"):
        keys.register(alice, secret, "Blue 2", answer, CLIENT, now=utcnow())
    signed = key.get(keys.authentication_options(alice, secret))
    assert keys.authenticate(alice, secret, signed, CLIENT, now=utcnow())
    with pytest.raises(InvalidInput, match="no security key request"):
        keys.authenticate(alice, secret, signed, CLIENT, now=utcnow())
    # Under a new challenge the old answer signs the wrong one.
    keys.authentication_options(alice, secret)
    assert not keys.authenticate(alice, secret, signed, CLIENT, now=utcnow())
    # A failed answer uses its challenge up too.
    options = keys.authentication_options(alice, secret)
    assert not keys.authenticate(alice, secret, SoftKey().get(options), CLIENT, now=utcnow())
    with pytest.raises(InvalidInput):
        keys.authenticate(alice, secret, key.get(options), CLIENT, now=utcnow())


def test_a_challenge_is_kept_by_its_session_only(keys: SecurityKeys, sessions: SessionService,
                                                 alice: int) -> None:
    key = _registered(keys, sessions, alice)
    mine, other = _session(sessions, alice), _session(sessions, alice)
    signed = key.get(keys.authentication_options(alice, mine))
    with pytest.raises(InvalidInput):
        keys.authenticate(alice, other, signed, CLIENT, now=utcnow())
    sessions.end(mine, CLIENT, now=utcnow())
    with pytest.raises(InvalidInput):
        keys.authenticate(alice, mine, signed, CLIENT, now=utcnow())


def test_two_requests_with_one_answer_pass_once(keys: SecurityKeys, sessions: SessionService,
                                                alice: int) -> None:
    key = _registered(keys, sessions, alice)
    secret = _session(sessions, alice)
    signed = key.get(keys.authentication_options(alice, secret))

    def attempt() -> str:
        try:
            return str(keys.authenticate(alice, secret, signed, CLIENT, now=utcnow()))
        except InvalidInput:
            return "no challenge"

    assert sorted(at_once([attempt, attempt, attempt])) == ["True", "no challenge",
                                                            "no challenge"]


def test_another_accounts_key_is_refused(database: Database, keys: SecurityKeys,
                                         sessions: SessionService, alice: int,
                                         bob: int) -> None:
    _registered(keys, sessions, alice)
    bobs = _registered(keys, sessions, bob)
    secret = _session(sessions, alice)
    # Bob's key signs the challenge given to alice's session: it is not hers.
    assert not keys.authenticate(alice, secret, bobs.get(keys.authentication_options(
        alice, secret)), CLIENT, now=utcnow())
    failed = History(database).for_user(alice, limit=1)[0]
    assert failed.kind == "2fa.failed"
    assert failed.details["reason"] == "not a key of this account"
    assert failed.address == CLIENT.address


@pytest.mark.parametrize("bent", [{"origin": "https://evil.example"},
                                  {"rp_id": "evil.example"}])
def test_an_answer_for_another_site_is_refused(keys: SecurityKeys, sessions: SessionService,
                                               alice: int, bent: dict[str, str]) -> None:
    secret = _session(sessions, alice)
    with pytest.raises(InvalidInput, match="does not verify"):
        keys.register(alice, secret, "Blue", SoftKey().create(keys.registration_options(
            alice, secret, "Blue"), **bent), CLIENT, now=utcnow())
    key = _registered(keys, sessions, alice)
    assert not keys.authenticate(alice, secret, key.get(keys.authentication_options(
        alice, secret), **bent), CLIENT, now=utcnow())


def test_a_count_that_does_not_rise_is_a_clone(database: Database, keys: SecurityKeys,
                                               sessions: SessionService, alice: int) -> None:
    key = _registered(keys, sessions, alice)
    secret = _session(sessions, alice)
    for _ in range(2):
        assert keys.authenticate(alice, secret, key.get(keys.authentication_options(
            alice, secret)), CLIENT, now=utcnow())
    # A copy of the key that counted on its own: its count is not above the last seen.
    for stale in (key.count, key.count - 1, 0):
        assert not keys.authenticate(alice, secret, key.get(keys.authentication_options(
            alice, secret), count=stale), CLIENT, now=utcnow())
        failed = History(database).for_user(alice, limit=1)[0]
        assert failed.kind == "2fa.failed"
        assert "cloned key" in failed.details["reason"]
        assert failed.details["key"] == "Blue key"
    assert keys.authenticate(alice, secret, key.get(keys.authentication_options(
        alice, secret), count=key.count + 5), CLIENT, now=utcnow())


def test_a_key_that_never_counts_is_accepted_each_time(keys: SecurityKeys,
                                                       sessions: SessionService,
                                                       alice: int) -> None:
    key = _registered(keys, sessions, alice, counting=False)
    secret = _session(sessions, alice)
    for _ in range(3):
        assert keys.authenticate(alice, secret, key.get(keys.authentication_options(
            alice, secret)), CLIENT, now=utcnow())


def test_options_need_a_key_and_a_user(keys: SecurityKeys, sessions: SessionService,
                                       alice: int) -> None:
    secret = _session(sessions, alice)
    with pytest.raises(NotFound, match="no security key"):
        keys.authentication_options(alice, secret)
    with pytest.raises(NotFound):
        keys.registration_options(alice + 100, secret, "Blue")
    with pytest.raises(NotFound):
        keys.remove(alice, 12345, CLIENT, now=utcnow())


def test_a_malformed_answer_is_refused(keys: SecurityKeys, sessions: SessionService,
                                       alice: int) -> None:
    key = _registered(keys, sessions, alice)
    secret = _session(sessions, alice)
    signed = key.get(keys.authentication_options(alice, secret))
    signed["response"]["signature"] = "!!"
    assert not keys.authenticate(alice, secret, signed, CLIENT, now=utcnow())
    keys.authentication_options(alice, secret)
    assert not keys.authenticate(alice, secret, {"rawId": 5}, CLIENT, now=utcnow())
    secret = _session(sessions, alice)
    keys.registration_options(alice, secret, "Green")
    with pytest.raises(InvalidInput, match="does not verify"):
        keys.register(alice, secret, "Green", {"id": "x"}, CLIENT, now=utcnow())
