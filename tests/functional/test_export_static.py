"""`admin export-static` writes the bytes the live server sends, as bandersnatch names them."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.builders import make_sdist, make_wheel
from tests.functional.clients import twine_upload
from tests.functional.server import STRONGROOM, LiveIndex, stop_process

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


def test_follow_keeps_the_export_current(index: LiveIndex, exported: Path,
                                         tmp_path: Path) -> None:
    log = tmp_path / "follow.log"
    with log.open("wb") as out:
        follower = subprocess.Popen(
            [*STRONGROOM, "admin", "export-static", str(exported), "--follow", "--interval",
             "0.1", "--data-dir", str(index.data_dir)],
            stdout=out, stderr=subprocess.STDOUT, env=index.env,
        )
    try:
        _wait_for(lambda: b"following the change feed" in log.read_bytes(), log)
        twine_upload(index.url, index.token("erin"),
                     [make_wheel(tmp_path, "Export.Me", "2.0"),
                      make_wheel(tmp_path, "brand-new", "0.1")], tmp_path)
        pages = ["/simple/", "/simple/export-me/", "/simple/brand-new/"]

        def current() -> bool:
            return all(
                (exported / path.strip("/") / "index.v1_json").is_file()
                and (exported / path.strip("/") / "index.v1_json").read_bytes()
                == _served(index, path, JSON)
                and (exported / path.strip("/") / "index.html").read_bytes()
                == _served(index, path, "text/html")
                for path in pages
            )

        _wait_for(current, log)
        assert b"rewrote" in log.read_bytes()
    finally:
        stop_process(follower)


def _wait_for(condition: Callable[[], bool], log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out; follower said:\n{log.read_text(errors='replace')}")
        time.sleep(0.1)
