"""A private index's reads: credentials are verified off the event loop, remembered for a
bounded time in bounded memory, and never by the warm path itself; failures are limited per
client address."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from limits.storage import MemoryStorage
from sqlalchemy import delete, select
from tests.readside import Index
from tests.unit.web.test_reads import AppClient

from strongroom.accounts import AccountService, User
from strongroom.db.base import utcnow
from strongroom.db.engine import Database
from strongroom.projects import Project, Role
from strongroom.tokens import Token, TokenService
from strongroom.web import reads as reads_module
from strongroom.web.ratelimit import AddressFailures, parse_rate
from strongroom.web.reads import Reads


@pytest.fixture
def index(database: Database, tmp_path: Path) -> Index:
    built = Index(database, tmp_path)
    built.release("Alpha", "1.0")
    AccountService(database).create_user("reader", email="reader@example.org",
                                         password="a long enough password")
    return built


def _limited(index: Index, rate: str = "3/minute") -> tuple[Reads, str]:
    """A private index allowing ``rate`` failed authentications per address."""
    failures = AddressFailures(MemoryStorage(), parse_rate(rate, "read_auth_failure_rate"),
                               kind="read-auth-failures")
    return index.private_app(failures)


def _authorized(token: str) -> dict[str, str]:
    return {"Authorization": _basic(token)[0][1].decode()}


def _forged(token: str, n: int) -> str:
    return token[:-8] + f"{n:08d}"


def _basic(token: str) -> list[tuple[bytes, bytes]]:
    value = base64.b64encode(f"__token__:{token}".encode())
    return [(b"authorization", b"Basic " + value)]


def test_the_warm_path_answers_only_remembered_credentials(index: Index) -> None:
    reads, token = index.private_app()
    client = AppClient(reads)
    assert client.get("/simple/alpha/").status_code == 401
    assert reads.warm("GET", "/simple/alpha/", []) is not None  # no credentials: no waiting
    assert reads.warm("GET", "/simple/alpha/", _basic(token)) is None  # not yet verified
    headers = {"Authorization": _basic(token)[0][1].decode()}
    assert client.get("/simple/alpha/", headers=headers).status_code == 200  # verified here
    warm = reads.warm("GET", "/simple/alpha/", _basic(token))
    assert warm is not None
    assert warm.status == 200


def test_a_revoked_token_reads_until_its_verdict_expires(index: Index,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    reads, token = index.private_app()
    headers = {"Authorization": _basic(token)[0][1].decode()}
    client = AppClient(reads)
    assert client.get("/simple/alpha/", headers=headers).status_code == 200
    with index.db.write() as session:
        session.execute(delete(Token))
    assert client.get("/simple/alpha/", headers=headers).status_code == 200  # remembered
    monkeypatch.setattr(reads_module, "_VERIFIED_SECONDS", 0.0)
    reads._verified.clear()
    assert client.get("/simple/alpha/", headers=headers).status_code == 401
    assert client.get("/simple/alpha/", headers=headers).status_code == 401


def test_remembered_verdicts_are_bounded(index: Index, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reads_module, "_MEMO_LIMIT", 8)
    reads, token = index.private_app()
    client = AppClient(reads)
    for n in range(30):  # each a different forged token
        forged = token[:-8] + f"{n:08d}"
        response = client.get("/simple/alpha/", headers={
            "Authorization": _basic(forged)[0][1].decode()})
        assert response.status_code == 401
        assert len(reads._verified) <= 8
    huge = {"Authorization": "Bearer " + "x" * 20_000}
    assert client.get("/simple/alpha/", headers=huge).status_code == 401
    assert all(len(key[0]) <= 8192 for key in reads._verified)


def test_address_failures_count_per_address_and_kind() -> None:
    storage = MemoryStorage()
    reads = AddressFailures(storage, parse_rate("2/minute;3/hour", "r"), kind="reads")
    uploads = AddressFailures(storage, parse_rate("2/minute", "r"), kind="uploads")
    assert reads.retry_after("192.0.2.1") is None
    assert [reads.failed("192.0.2.1") for _ in range(2)] == [None, None]
    wait = reads.retry_after("192.0.2.1")
    assert wait is not None
    # The rest of the limit's minute window: where in it the test runs decides.
    assert 1 <= wait <= 60
    past = reads.failed("192.0.2.1")  # past the limit: not counted, told how long to wait
    assert past is not None
    # The rest of the limit's minute window: where in it the test runs decides.
    assert 1 <= past <= 60
    assert reads.retry_after("192.0.2.2") is None  # another address
    assert uploads.retry_after("192.0.2.1") is None  # another kind of failure


def test_different_bad_tokens_from_one_address_reach_the_limit(index: Index) -> None:
    """Each guess counts; past the limit a guess gets 429 with Retry-After instead of being
    tried, and so does a good token not verified yet: the address is the unit, since a
    guess cannot be told from a good token without trying it, and trying it is what the
    limit stops. Another address reads on."""
    reads, token = _limited(index)
    attacker = AppClient(reads, address="192.0.2.66")
    assert [attacker.get("/simple/alpha/", headers=_authorized(_forged(token, n))).status_code
            for n in range(3)] == [401, 401, 401]
    for headers in (_authorized(_forged(token, 3)), _authorized(token),
                    {"Authorization": f"Bearer {token}"}):
        refused = attacker.get("/simple/alpha/", headers=headers)
        assert refused.status_code == 429, headers
        # The rest of the limit's minute window: where in it the test runs decides.
        assert 1 <= int(refused.headers["Retry-After"]) <= 60
        assert "too many failed authentications" in refused.text
    never_tried = {_basic(_forged(token, 3))[0][1], _basic(token)[0][1],
                   f"Bearer {token}".encode()}
    assert not never_tried & {key[0] for key in reads._verified}
    anonymous = attacker.get("/simple/alpha/")
    assert anonymous.status_code == 401  # no credentials: asked for them, as always
    assert anonymous.headers["WWW-Authenticate"] == 'Basic realm="strongroom"'
    other = AppClient(reads, address="192.0.2.7")
    assert other.get("/simple/alpha/", headers=_authorized(token)).status_code == 200
    assert other.get("/pypi/alpha/json", headers=_authorized(_forged(token, 9))
                     ).status_code == 401


def test_a_remembered_failure_counts_every_time_it_is_sent(index: Index) -> None:
    reads, token = _limited(index)
    client = AppClient(reads)
    forged = _authorized(_forged(token, 1))
    assert client.get("/simple/alpha/", headers=forged).status_code == 401
    # Remembered as failed, yet the warm path does not answer it: counting it waits on the
    # counters' storage, which only a worker thread may do.
    assert reads.warm("GET", "/simple/alpha/", _basic(_forged(token, 1))) is None
    assert [client.get("/simple/alpha/", headers=forged).status_code
            for _ in range(3)] == [401, 401, 429]


def test_a_project_token_refused_elsewhere_counts(index: Index) -> None:
    index.release("Beta", "1.0")
    with index.db.write() as session:
        alpha = session.scalars(select(Project).where(Project.normalized_name == "alpha")).one()
        reader = session.scalars(select(User).where(User.username == "reader")).one()
        session.add(Role(project_id=alpha.id, user_id=reader.id, role="Owner"))
    reads, _ = _limited(index, "2/minute")
    scoped = TokenService(index.db).create("reader", now=utcnow(), read_only=True,
                                           project="alpha")
    client = AppClient(reads)
    assert client.get("/simple/alpha/", headers=_authorized(scoped)).status_code == 200
    assert [client.get("/simple/beta/", headers=_authorized(scoped)).status_code
            for _ in range(3)] == [403, 403, 429]


def test_anonymous_reads_count_nothing(index: Index) -> None:
    reads, token = _limited(index)
    client = AppClient(reads)
    assert {client.get("/simple/alpha/").status_code for _ in range(10)} == {401}
    assert client.get("/simple/alpha/", headers=_authorized(token)).status_code == 200
    assert client.get("/simple/alpha/", headers=_authorized(_forged(token, 1))
                      ).status_code == 401


def test_remembered_good_credentials_read_on_past_the_limit(index: Index) -> None:
    """A token verified in the last ``_VERIFIED_SECONDS`` reads without the limit being asked
    (warm reads never wait on its counters); that gives a guesser nothing, as only a token
    that verified is remembered so."""
    reads, token = _limited(index)
    client = AppClient(reads)
    assert client.get("/simple/alpha/", headers=_authorized(token)).status_code == 200
    for n in range(4):
        client.get("/simple/alpha/", headers=_authorized(_forged(token, n)))
    assert client.get("/simple/alpha/", headers=_authorized(_forged(token, 5))
                      ).status_code == 429
    assert client.get("/simple/alpha/", headers=_authorized(token)).status_code == 200
    warm = reads.warm("GET", "/simple/alpha/", _basic(token))
    assert warm is not None
    assert warm.status == 200
    # A verdict is remembered per project (files and the JSON API of alpha share it); for
    # the list of all projects the token is not verified yet, and the limit refuses that.
    assert client.get("/pypi/alpha/json", headers=_authorized(token)).status_code == 200
    assert client.get("/simple/", headers=_authorized(token)).status_code == 429
