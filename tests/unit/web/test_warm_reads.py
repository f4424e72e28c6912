"""Warm reads: answered from memory with the bytes a cold read gets, without the framework,
with memory bounded whatever clients send."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from starlette.applications import Starlette
from tests.readside import Counting, Index
from tests.unit.web.test_reads import WHEEL, WHEEL_BYTES, AppClient

from strongroom.db.engine import Database
from strongroom.domain.negotiation import V1_JSON
from strongroom.web import reads as reads_module


@pytest.fixture
def index(database: Database, tmp_path: Path) -> Index:
    built = Index(database, tmp_path)
    built.release("Alpha", "1.0")
    return built


def _file_url(suffix: str = "") -> str:
    sha = hashlib.sha256(WHEEL_BYTES).hexdigest()
    return f"/packages/{sha[:2]}/{sha[2:4]}/{sha[4:]}/{WHEEL}{suffix}"


def test_warm_answers_are_the_cold_ones(index: Index) -> None:
    reads = index.app()
    client = AppClient(reads)
    for path in ("/simple/", "/simple/alpha/", _file_url(), _file_url(".metadata")):
        cold = client.get(path)
        warm = reads.warm("GET", path, [])
        assert warm is not None, path
        assert warm.status == cold.status_code
        assert warm.body == cold.content
        assert dict(warm.headers) == {k.encode(): v.encode() for k, v in cold.headers.items()}


def test_revalidation_gets_304_from_the_fast_path(index: Index) -> None:
    inner = Counting(Starlette())
    client = AppClient(index.app(inner))
    for path in ("/simple/alpha/", _file_url(), _file_url(".metadata")):
        first = client.get(path)
        again = client.get(path, headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304
        assert again.content == b""
        assert again.headers["etag"] == first.headers["etag"]
    assert inner.calls == 0


def test_reads_never_reach_the_framework(index: Index) -> None:
    inner = Counting(Starlette())
    client = AppClient(index.app(inner))
    for path in ("/simple/", "/simple/alpha/", _file_url(), _file_url(".metadata")):
        assert client.get(path).status_code == 200
    assert client.get("/simple/Alpha/").status_code == 301
    assert client.get(_file_url(), headers={"Range": "bytes=0-1"}).status_code == 206
    assert client.request("POST", "/simple/alpha/").status_code == 405
    assert inner.calls == 0
    assert client.get("/elsewhere/").status_code == 404
    assert inner.calls == 1


def test_a_write_is_seen_by_the_next_fast_read(index: Index) -> None:
    client = AppClient(index.app())
    before = client.get("/simple/alpha/", headers={"Accept": V1_JSON}).json()
    index.release("Alpha", "2.0")
    after = client.get("/simple/alpha/", headers={"Accept": V1_JSON}).json()
    assert before["versions"] == ["1.0"]
    assert after["versions"] == ["1.0", "2.0"]


def test_a_large_file_is_streamed_not_kept(index: Index) -> None:
    size = 2 * 1024 * 1024 + len(b"wheel big-1.0-py3-none-any.whl")
    sha, _ = index.release("Big", "1.0", padding=2 * 1024 * 1024)
    url = f"/packages/{sha[:2]}/{sha[2:4]}/{sha[4:]}/big-1.0-py3-none-any.whl"
    reads = index.app()
    client = AppClient(reads)
    for _ in range(2):  # cold, then with its location cached
        response = client.get(url)
        assert response.status_code == 200
        assert response.headers["content-length"] == str(size)
        assert hashlib.sha256(response.content).hexdigest() == sha
        assert reads.warm("GET", url, []) is None
    part = client.get(url, headers={"Range": "bytes=1048570-1048580"})
    assert part.status_code == 206
    assert part.content == response.content[1048570:1048581]
    assert part.headers["content-range"] == f"bytes 1048570-1048580/{size}"
    assert reads._files == {}


def test_kept_files_are_bounded_in_bytes(index: Index, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reads_module, "_FILE_CACHE_BYTES", 3000)
    reads = index.app()
    client = AppClient(reads)
    urls = []
    for n in range(5):
        sha, _ = index.release(f"Kept{n}", "1.0", padding=500)
        urls.append(f"/packages/{sha[:2]}/{sha[2:4]}/{sha[4:]}/kept{n}-1.0-py3-none-any.whl")
    for url in urls:
        assert client.get(url).status_code == 200
    assert 0 < reads._file_bytes <= 3000
    assert len(reads._files) < len(urls)
    assert reads.warm("GET", urls[-1], []) is not None  # the newest is kept
    assert reads.warm("GET", urls[0], []) is None  # the oldest made room


def test_what_clients_send_cannot_outgrow_the_memos(index: Index) -> None:
    fast = index.app()
    client = AppClient(fast)
    client.get("/simple/alpha/")
    remembered = len(fast._negotiated), len(fast._normal_names)
    for i in range(30):  # long Accept headers and names, each different
        accept = f"{V1_JSON}, " + ", ".join(f"x/y{i}-{n}" for n in range(100))
        assert client.get("/simple/alpha/", headers={"Accept": accept}).status_code == 200
        assert client.get(f"/simple/{'n' * 300}{i}/").status_code == 404
    assert (len(fast._negotiated), len(fast._normal_names)) == remembered
