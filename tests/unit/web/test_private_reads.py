"""A private index's reads: credentials are verified off the event loop, remembered for a
bounded time in bounded memory, and never by the warm path itself."""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from sqlalchemy import delete
from starlette.applications import Starlette
from tests.readside import Index
from tests.unit.web.test_reads import AppClient

from strongroom.accounts import AccountService
from strongroom.db.base import utcnow
from strongroom.db.engine import Database
from strongroom.domain.access import SIGNED_IN
from strongroom.domain.principals import READ, Credentials, Principal
from strongroom.tokens import Token, TokenService
from strongroom.web import reads as reads_module
from strongroom.web.reads import Reads


@pytest.fixture
def index(database: Database, tmp_path: Path) -> Index:
    built = Index(database, tmp_path)
    built.release("Alpha", "1.0")
    AccountService(database).create_user("reader", email="reader@example.org",
                                         password="a long enough password")
    return built


def _private(index: Index) -> tuple[Reads, str]:
    tokens = TokenService(index.db)

    def authenticate(credentials: Credentials, project: str | None) -> Principal:
        return tokens.authenticate(credentials, project=project or "", now=utcnow(),
                                   action=READ)

    reads = Reads(Starlette(), index.reader, base_url="http://idx.test", access=SIGNED_IN,
                  authenticate=authenticate)
    return reads, tokens.create("reader", now=utcnow(), read_only=True)


def _basic(token: str) -> list[tuple[bytes, bytes]]:
    value = base64.b64encode(f"__token__:{token}".encode())
    return [(b"authorization", b"Basic " + value)]


def test_the_warm_path_answers_only_remembered_credentials(index: Index) -> None:
    reads, token = _private(index)
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
    reads, token = _private(index)
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
    reads, token = _private(index)
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
