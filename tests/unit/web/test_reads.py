"""The read API over HTTP: negotiation, headers, redirects, 404/406, ranges, 304."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from pypi_simple import ProjectPage
from starlette.applications import Starlette
from starlette.types import ASGIApp
from tests.readside import Index

from strongroom.db.engine import Database
from strongroom.domain.negotiation import V1_HTML, V1_JSON
from strongroom.index import IndexReader
from strongroom.storage import LocalBlobStore
from strongroom.web.reads import Reads

WHEEL = "alpha-1.0-py3-none-any.whl"
WHEEL_BYTES = b"wheel " + WHEEL.encode()


class AppClient:
    """Synchronous requests against an ASGI app through httpx's ASGI transport."""

    def __init__(self, app: ASGIApp, base_url: str = "http://idx.test", *,
                 address: str = "127.0.0.1") -> None:
        self.app = app
        self.base_url = base_url
        self.address = address  # the client's, as the server sees it

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, client=(self.address, 123))
            async with httpx.AsyncClient(transport=transport, base_url=self.base_url) as client:
                return await client.request(method, path, **kwargs)

        return asyncio.run(send())

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def head(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("HEAD", path, **kwargs)


@pytest.fixture
def index(database: Database, tmp_path: Path) -> Index:
    built = Index(database, tmp_path)
    built.release("Alpha", "1.0")
    return built


@pytest.fixture
def client(index: Index) -> AppClient:
    return AppClient(index.app())


def _wheel_url() -> str:
    sha = hashlib.sha256(WHEEL_BYTES).hexdigest()
    return f"/packages/{sha[:2]}/{sha[2:4]}/{sha[4:]}/{WHEEL}"


def test_project_page_headers_and_negotiation(client: AppClient) -> None:
    response = client.get("/simple/alpha/", headers={"Accept": V1_JSON})
    assert response.status_code == 200
    assert response.headers["content-type"] == V1_JSON
    assert response.headers["vary"] == "Accept"
    assert response.headers["x-pypi-last-serial"] == "1"
    assert response.headers["cache-control"] == "max-age=600, public"
    assert response.headers["surrogate-key"] == "project/alpha all-projects"
    assert response.headers["etag"].startswith('"')
    page = ProjectPage.from_json_data(response.json(), str(response.url))
    assert [p.filename for p in page.packages] == [WHEEL]
    assert page.packages[0].url == "http://idx.test" + _wheel_url()

    html = client.get("/simple/alpha/", headers={"Accept": "text/html"})
    assert html.headers["content-type"] == "text/html; charset=utf-8"
    v1_html = client.get("/simple/alpha/", headers={"Accept": V1_HTML})
    assert v1_html.headers["content-type"] == V1_HTML
    assert v1_html.content == html.content
    assert v1_html.headers["etag"] != html.headers["etag"] != response.headers["etag"]
    by_format = client.get("/simple/alpha/", params={"format": V1_JSON},
                           headers={"Accept": "text/html"})
    assert by_format.headers["content-type"] == V1_JSON


def test_index_page(client: AppClient) -> None:
    response = client.get("/simple/", headers={"Accept": V1_JSON})
    assert response.status_code == 200
    assert response.json()["projects"] == [{"name": "Alpha", "_last-serial": 1}]
    assert response.headers["surrogate-key"] == "all-projects"
    assert response.headers["x-pypi-last-serial"] == "1"


def test_not_acceptable(client: AppClient) -> None:
    response = client.get("/simple/alpha/", headers={"Accept": "application/json"})
    assert response.status_code == 406
    assert V1_JSON in response.text
    assert client.get("/simple/", params={"format": "image/png"}).status_code == 406


def test_redirects(client: AppClient) -> None:
    for path, target in [
        ("/simple", "/simple/"),
        ("/simple/alpha", "/simple/alpha/"),
        ("/simple/ALPHA/", "/simple/alpha/"),
        ("/simple/Al_pha.Beta", "/simple/al-pha-beta/"),
        ("/simple/ALPHA/?format=text/html", "/simple/alpha/?format=text/html"),
    ]:
        response = client.get(path)
        assert response.status_code == 301, path
        assert response.headers["location"] == target


def test_unknown_project_is_404(client: AppClient) -> None:
    assert client.get("/simple/nope/").status_code == 404


def test_invalid_project_names_are_404_not_redirected(client: AppClient) -> None:
    for path in ("/simple/Al_pha.", "/simple/../", "/simple/-x-/", "/pypi/x./json"):
        assert client.get(path).status_code == 404, path


def test_if_none_match_gives_304(client: AppClient) -> None:
    first = client.get("/simple/alpha/", headers={"Accept": V1_JSON})
    etag = first.headers["etag"]
    again = client.get("/simple/alpha/", headers={"Accept": V1_JSON, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert again.headers["x-pypi-last-serial"] == "1"
    other = client.get("/simple/alpha/", headers={"Accept": "text/html", "If-None-Match": etag})
    assert other.status_code == 200


def test_head_sends_headers_only(client: AppClient) -> None:
    full = client.get("/simple/alpha/", headers={"Accept": V1_JSON})
    head = client.head("/simple/alpha/", headers={"Accept": V1_JSON})
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(full.content))
    assert head.headers["etag"] == full.headers["etag"]


def test_publish_is_visible_over_http(index: Index, client: AppClient) -> None:
    before = client.get("/simple/alpha/", headers={"Accept": V1_JSON})
    index.release("Alpha", "2.0")
    after = client.get("/simple/alpha/", headers={"Accept": V1_JSON})
    assert after.json()["versions"] == ["1.0", "2.0"]
    assert after.headers["etag"] != before.headers["etag"]
    assert after.headers["x-pypi-last-serial"] == "2"


def test_file_download_and_ranges(client: AppClient) -> None:
    response = client.get(_wheel_url())
    assert response.status_code == 200
    assert response.content == WHEEL_BYTES
    assert response.headers["content-type"] == "application/zip"
    assert response.headers["content-length"] == str(len(WHEEL_BYTES))
    assert response.headers["etag"] == f'"{hashlib.sha256(WHEEL_BYTES).hexdigest()}"'
    partial = client.get(_wheel_url(), headers={"Range": "bytes=0-4"})
    assert partial.status_code == 206
    assert partial.content == WHEEL_BYTES[:5]
    assert partial.headers["content-range"] == f"bytes 0-4/{len(WHEEL_BYTES)}"
    beyond = client.get(_wheel_url(), headers={"Range": "bytes=9999-"})
    assert beyond.status_code == 416
    cached = client.get(_wheel_url(), headers={"If-None-Match": response.headers["etag"]})
    assert cached.status_code == 304


def test_metadata_file(client: AppClient) -> None:
    response = client.get(_wheel_url() + ".metadata")
    assert response.status_code == 200
    assert response.content.startswith(b"Metadata-Version: 2.1\nName: Alpha")
    assert response.headers["content-type"] == "application/octet-stream"


@pytest.mark.parametrize(
    "path",
    [
        "/packages/00/00/" + "0" * 60 + "/" + WHEEL,
        "/packages/ab/cd/short/" + WHEEL,
        "/packages/00/00/" + "0" * 60 + "/unknown-1.0.tar.gz",
    ],
)
def test_unknown_files_are_404(client: AppClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_wrong_name_under_a_real_hash_is_404(client: AppClient) -> None:
    assert client.get(_wheel_url().replace(WHEEL, "beta-1.0.tar.gz")).status_code == 404


class _RemoteLikeStore(LocalBlobStore):
    """A store that, like an object store, offers no local path: files are streamed."""

    def local_path(self, sha256: str) -> Path | None:
        return None


def test_stores_without_local_paths_stream(index: Index, tmp_path: Path) -> None:
    reader = IndexReader(index.db, _RemoteLikeStore(tmp_path / "blobs"), index.feed)
    remote = AppClient(Reads(Starlette(), reader, base_url="http://idx.test"))
    response = remote.get(_wheel_url())
    assert response.status_code == 200
    assert response.content == WHEEL_BYTES
    assert response.headers["content-length"] == str(len(WHEEL_BYTES))
    head = remote.head(_wheel_url())
    assert head.content == b""
    assert head.headers["content-length"] == str(len(WHEEL_BYTES))


def test_json_api(client: AppClient) -> None:
    response = client.get("/pypi/Alpha/json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.headers["x-pypi-last-serial"] == "1"
    data = response.json()
    assert data["info"]["version"] == "1.0"
    assert data["urls"][0]["url"] == "http://idx.test" + _wheel_url()
    assert data["urls"][0]["core-metadata"]["sha256"]
    assert client.get("/pypi/alpha/json/").json() == data
    release = client.get("/pypi/alpha/1.0/json")
    assert release.status_code == 200
    assert "releases" not in release.json()
    assert client.get("/pypi/alpha/1.0/json/").status_code == 200
    etag = response.headers["etag"]
    assert client.get("/pypi/alpha/json", headers={"If-None-Match": etag}).status_code == 304


def test_json_api_not_found(client: AppClient) -> None:
    for path in ["/pypi/nope/json", "/pypi/alpha/9.9/json"]:
        response = client.get(path)
        assert response.status_code == 404
        assert response.json() == {"message": "Not Found"}


def test_fixed_base_url(index: Index) -> None:
    app = index.app(base_url="https://pkgs.example.test/")
    data = AppClient(app).get("/pypi/alpha/json").json()
    assert data["urls"][0]["url"].startswith("https://pkgs.example.test/packages/")


def test_project_and_release_urls_lead_to_their_documents(index: Index) -> None:
    app = index.app(base_url="https://pkgs.example.test/pre")
    client = AppClient(app)
    info = client.get("/pypi/alpha/json").json()["info"]
    base = "https://pkgs.example.test/pre"
    assert info["project_url"] == info["package_url"] == f"{base}/project/Alpha/"
    assert info["release_url"] == f"{base}/project/Alpha/1.0/"
    for path, target in [
        ("/project/Alpha/", "/simple/alpha/"),
        ("/project/Alpha", "/simple/alpha/"),
        ("/project/Alpha/1.0/", "/pypi/alpha/1.0/json"),
        ("/project/ALPHA/1.0", "/pypi/alpha/1.0/json"),
        ("/project/alpha/1.0+local/", "/pypi/alpha/1.0%2Blocal/json"),
    ]:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.headers["location"] == base + target
        assert response.headers["cache-control"] == "max-age=300, public"
        followed = client.get(target)
        assert followed.status_code == (404 if "local" in target else 200), target
    assert client.get("/project/-x-/").status_code == 404


def test_the_host_header_never_reaches_a_document(index: Index) -> None:
    app = index.app()
    honest = AppClient(app).get("/pypi/alpha/json")
    entries_before = index.reader.cache.size[0]
    for i in range(20):
        forged = AppClient(app, base_url=f"http://evil{i}.example").get("/pypi/alpha/json")
        assert forged.content == honest.content
        assert "evil" not in forged.text
    # one cached document, however many hosts asked for it
    assert index.reader.cache.size[0] == entries_before
