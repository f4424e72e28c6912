"""The fast read path sends exactly what the routes send, and handles warm reads on its own."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from starlette.applications import Starlette
from tests.readside import Counting, Index
from tests.unit.web.test_reads import WHEEL, WHEEL_BYTES, AppClient

from strongroom.db.engine import Database
from strongroom.domain.negotiation import V1_HTML, V1_JSON
from strongroom.web.fastpath import FastReads

# Headers only the framework's responses carry; neither is part of the contract.
_IGNORED = {"date", "last-modified"}


@pytest.fixture
def index(database: Database, tmp_path: Path) -> Index:
    built = Index(database, tmp_path)
    built.release("Alpha", "1.0")
    return built


def _file_url(suffix: str = "") -> str:
    sha = hashlib.sha256(WHEEL_BYTES).hexdigest()
    return f"/packages/{sha[:2]}/{sha[2:4]}/{sha[4:]}/{WHEEL}{suffix}"


REQUESTS: list[tuple[str, str, dict[str, str]]] = [
    ("GET", "/simple/", {}),
    ("GET", "/simple/", {"Accept": V1_JSON}),
    ("GET", "/simple/alpha/", {}),
    ("GET", "/simple/alpha/", {"Accept": V1_JSON}),
    ("GET", "/simple/alpha/", {"Accept": V1_HTML}),
    ("GET", "/simple/alpha/", {"Accept": f"{V1_JSON}, {V1_HTML};q=0.2, text/html;q=0.01"}),
    ("HEAD", "/simple/alpha/", {"Accept": V1_JSON}),
    ("GET", "/simple/Alpha/", {}),
    ("GET", "/simple/nope/", {}),
    ("GET", "/simple/alpha/", {"Accept": "image/png"}),
    ("GET", "/simple/alpha/?format=" + V1_JSON.replace("+", "%2B"), {}),
    ("GET", _file_url(), {}),
    ("HEAD", _file_url(), {}),
    ("GET", _file_url(".metadata"), {}),
    ("GET", _file_url(), {"Range": "bytes=0-3"}),
    ("GET", _file_url()[:-3] + "zip", {}),
]


@pytest.mark.parametrize(("method", "path", "headers"), REQUESTS)
def test_same_answer_with_and_without_the_fast_path(index: Index, method: str, path: str,
                                                    headers: dict[str, str]) -> None:
    routes = index.routes()
    slow = AppClient(Starlette(routes=routes))
    fast = AppClient(FastReads(Starlette(routes=routes), index.reader))
    for _ in range(2):  # cold, then warm
        expected, actual = slow.request(method, path, headers=headers), fast.request(
            method, path, headers=headers)
        assert actual.status_code == expected.status_code
        assert actual.content == expected.content
        assert ({k: v for k, v in actual.headers.items() if k not in _IGNORED}
                == {k: v for k, v in expected.headers.items() if k not in _IGNORED})


def test_revalidation_gets_304_from_the_fast_path(index: Index) -> None:
    inner = Counting(Starlette(routes=index.routes()))
    client = AppClient(FastReads(inner, index.reader))
    for path in ("/simple/alpha/", _file_url(), _file_url(".metadata")):
        first = client.get(path)
        again = client.get(path, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == first.headers["etag"]
    assert inner.calls == 0


def test_warm_reads_never_reach_the_framework(index: Index) -> None:
    inner = Counting(Starlette(routes=index.routes()))
    client = AppClient(FastReads(inner, index.reader))
    for path in ("/simple/", "/simple/alpha/", _file_url(), _file_url(".metadata")):
        assert client.get(path).status_code == 200
    assert inner.calls == 0
    assert client.get("/simple/Alpha/").status_code == 301
    assert client.get(_file_url(), headers={"Range": "bytes=0-1"}).status_code == 206
    assert inner.calls == 2


def test_a_write_is_seen_by_the_next_fast_read(index: Index) -> None:
    client = AppClient(FastReads(Starlette(routes=index.routes()), index.reader))
    before = client.get("/simple/alpha/", headers={"Accept": V1_JSON}).json()
    index.release("Alpha", "2.0")
    after = client.get("/simple/alpha/", headers={"Accept": V1_JSON}).json()
    assert before["versions"] == ["1.0"]
    assert after["versions"] == ["1.0", "2.0"]


def test_a_large_file_is_left_to_the_framework(index: Index) -> None:
    sha, _ = index.release("Big", "1.0", padding=2 * 1024 * 1024)
    url = f"/packages/{sha[:2]}/{sha[2:4]}/{sha[4:]}/big-1.0-py3-none-any.whl"
    inner = Counting(Starlette(routes=index.routes()))
    client = AppClient(FastReads(inner, index.reader))
    for expected_calls in (1, 2):  # cold, then with its location cached
        response = client.get(url)
        assert response.status_code == 200
        assert hashlib.sha256(response.content).hexdigest() == sha
        assert inner.calls == expected_calls


def test_what_clients_send_cannot_outgrow_the_memos(index: Index) -> None:
    fast = FastReads(Starlette(routes=index.routes()), index.reader)
    client = AppClient(fast)
    client.get("/simple/alpha/")
    remembered = len(fast._negotiated), len(fast._normal_names)
    for i in range(30):  # long Accept headers and names, each different
        accept = f"{V1_JSON}, " + ", ".join(f"x/y{i}-{n}" for n in range(100))
        assert client.get("/simple/alpha/", headers={"Accept": accept}).status_code == 200
        assert client.get(f"/simple/{'n' * 300}{i}/").status_code == 404
    assert (len(fast._negotiated), len(fast._normal_names)) == remembered
