"""`admin export-static` writes the bytes the live server sends, as bandersnatch names them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.builders import make_sdist, make_wheel
from tests.functional.clients import twine_upload
from tests.functional.server import LiveIndex

pytestmark = pytest.mark.functional

JSON = "application/vnd.pypi.simple.v1+json"


@pytest.fixture(scope="module")
def exported(index: LiveIndex, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dist = tmp_path_factory.mktemp("dist")
    index.create_user("erin")
    built = [make_wheel(dist, "Export.Me", "1.0", requires_python=">=3.9"),
             make_sdist(dist, "Export.Me", "1.0"),
             make_wheel(dist, "Export.Me", "1.1"),
             make_wheel(dist, "other-project", "0.1")]
    twine_upload(index.url, index.token("erin"), built, dist)
    index.cli("admin", "yank", "export-me", "1.0", "--reason", "broken <b>")
    target = tmp_path_factory.mktemp("static")
    result = index.cli("admin", "export-static", str(target))
    assert "exported 2 project(s)" in result.stderr
    return target


def _served(index: LiveIndex, path: str, accept: str) -> bytes:
    response = httpx.get(f"{index.url}{path}", headers={"Accept": accept}, timeout=10)
    assert response.status_code == 200
    return response.content


@pytest.mark.parametrize("path", ["/simple/", "/simple/export-me/", "/simple/other-project/"])
def test_exported_pages_equal_served_pages(index: LiveIndex, exported: Path, path: str) -> None:
    directory = exported / path.strip("/")
    assert (directory / "index.html").read_bytes() == _served(index, path, "text/html")
    assert (directory / "index.v1_json").read_bytes() == _served(index, path, JSON)


def test_export_holds_only_the_pages(exported: Path) -> None:
    files = sorted(str(p.relative_to(exported)) for p in exported.rglob("*") if p.is_file())
    assert files == [
        "simple/export-me/index.html", "simple/export-me/index.v1_json",
        "simple/index.html", "simple/index.v1_json",
        "simple/other-project/index.html", "simple/other-project/index.v1_json",
    ]


def test_export_again_reflects_a_change(index: LiveIndex, exported: Path) -> None:
    index.cli("admin", "unyank", "export-me", "1.0")
    index.cli("admin", "export-static", str(exported))
    page = exported / "simple" / "export-me" / "index.html"
    assert b"data-yanked" not in page.read_bytes()
    assert page.read_bytes() == _served(index, "/simple/export-me/", "text/html")
