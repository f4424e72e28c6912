"""bandersnatch 8 mirrors a live index completely, and a later run fetches only what changed.

bandersnatch lists projects from the PEP 691 JSON root page (each with its ``_last-serial``),
reads ``/pypi/<project>/json`` (insisting on ``X-PyPI-Last-Serial``), downloads every file and
its PEP 658 metadata file from the absolute URLs there, checks their sha256, and writes a static
simple tree. The mirror is then served as plain files and pip installs from it.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.builders import make_sdist, make_wheel
from tests.functional.clients import client_env, pip_install, twine_upload
from tests.functional.server import LiveIndex, free_port, stop_process, wait_until_serving

pytestmark = pytest.mark.functional

REPO = Path(__file__).resolve().parents[2]
BANDERSNATCH = REPO / ".venv-mirror" / "bin" / "bandersnatch"
V1_JSON = "application/vnd.pypi.simple.v1+json"
PROJECTS = ("mirror-app", "mirror-lib", "mirror-tool")
# A file's anchor in a simple HTML page: href, sha256 fragment, filename.
ANCHOR = re.compile(r'<a href="([^"#]+)#sha256=([0-9a-f]{64})"[^>]*>([^<]+)</a>')
# uvicorn's access log: 127.0.0.1:PORT - "GET /path HTTP/1.1" 200
REQUEST = re.compile(r'"(?P<method>[A-Z]+) (?P<path>\S+) HTTP/[\d.]+" (?P<status>\d{3})')


@dataclass(frozen=True)
class Mirror:
    """A bandersnatch mirror directory and the config that fills it from one index."""

    root: Path
    config: Path

    @property
    def web(self) -> Path:
        return self.root / "web"

    def sync(self, tmp: Path) -> str:
        """Run ``bandersnatch mirror`` to completion; returns its log (stderr)."""
        result = subprocess.run(
            [str(BANDERSNATCH), "--config", str(self.config), "mirror"],
            capture_output=True, text=True, env=client_env(tmp), timeout=300, check=False,
        )
        # A digest mismatch is logged, not fatal, even with stop-on-error: look for errors too.
        if result.returncode != 0 or " ERROR: " in result.stderr:
            raise AssertionError(f"bandersnatch failed ({result.returncode}):\n{result.stderr}")
        return result.stderr

    def serial(self) -> int:
        return int((self.root / "status").read_text().strip())

    def file_path(self, url: str) -> Path:
        """Where the mirror keeps the file an index URL names (the same /packages/ path)."""
        return self.web / urlsplit(url).path.lstrip("/")


def bandersnatch_config(root: Path, index_url: str) -> Path:
    config = root / "bandersnatch.conf"
    config.write_text(
        "[mirror]\n"
        f"directory = {root / 'mirror'}\n"
        f"master = {index_url}\n"
        "allow-non-https = true\n"
        "json = true\n"
        "release-files = true\n"
        "core-metadata = true\n"
        "simple-format = ALL\n"
        "hash-index = false\n"
        "digest_name = sha256\n"
        "compare-method = hash\n"
        "stop-on-error = true\n"
        "timeout = 10\n"
        "global-timeout = 300\n"
        "workers = 2\n"
    )
    return config


def requests_in(log: str) -> list[tuple[str, str, int]]:
    return [(m["method"], m["path"], int(m["status"])) for m in REQUEST.finditer(log)]


def project_document(index: LiveIndex, project: str) -> dict[str, Any]:
    response = httpx.get(f"{index.url}/pypi/{project}/json")
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


def all_files(index: LiveIndex) -> dict[str, dict[str, Any]]:
    """Every file the index lists, by filename, as its JSON API describes it."""
    files = {}
    for project in PROJECTS:
        for release_files in project_document(index, project)["releases"].values():
            files.update({f["filename"]: f for f in release_files})
    return files


def index_serial(index: LiveIndex) -> int:
    response = httpx.get(f"{index.url}/simple/", headers={"Accept": V1_JSON})
    return int(response.headers["X-PyPI-Last-Serial"])


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def alice(index: LiveIndex, tmp_path_factory: pytest.TempPathFactory) -> str:
    """alice publishes three projects: wheels and sdists, two versions, one dependency."""
    dist = tmp_path_factory.mktemp("mirror-dist")
    index.create_user("alice")
    token = index.token("alice")
    files = [
        make_wheel(dist, "mirror-lib", "1.0"),
        make_sdist(dist, "mirror-lib", "1.0"),
        make_wheel(dist, "mirror-lib", "1.1"),
        make_sdist(dist, "mirror-lib", "1.1"),
        make_wheel(dist, "mirror-app", "1.0", deps=("mirror-lib>=1.0",)),
        make_wheel(dist, "mirror-app", "2.0", deps=("mirror-lib>=1.1",)),
        make_sdist(dist, "mirror-app", "2.0", deps=("mirror-lib>=1.1",)),
        make_sdist(dist, "Mirror.Tool", "0.1"),
    ]
    twine_upload(index.url, token, files, dist)
    return token


@pytest.fixture(scope="module")
def mirror(index: LiveIndex, alice: str, tmp_path_factory: pytest.TempPathFactory) -> Mirror:
    """A mirror after its first, full sync."""
    if not BANDERSNATCH.is_file():
        pytest.fail(f"{BANDERSNATCH} is missing: run `scripts/bootstrap --mirror` first")
    root = tmp_path_factory.mktemp("bandersnatch")
    mirror = Mirror(root / "mirror", bandersnatch_config(root, index.url))
    mirror.sync(root)
    return mirror


def test_first_sync_copies_every_file_and_metadata_file(index: LiveIndex, mirror: Mirror) -> None:
    files = all_files(index)
    assert len(files) == 8
    for filename, described in files.items():
        local = mirror.file_path(described["url"])
        assert local.name == filename
        assert sha256_of(local) == described["digests"]["sha256"], filename
        metadata = local.with_name(f"{filename}.metadata")
        if filename.endswith(".whl"):
            assert sha256_of(metadata) == described["core-metadata"]["sha256"], filename
        else:
            assert not metadata.exists(), filename
    stored = {p.name for p in (mirror.web / "packages").rglob("*") if p.is_file()}
    assert stored == set(files) | {f"{n}.metadata" for n in files if n.endswith(".whl")}


def test_first_sync_writes_simple_pages_listing_every_file(index: LiveIndex,
                                                           mirror: Mirror) -> None:
    root = json.loads((mirror.web / "simple" / "index.v1_json").read_text())
    assert sorted(p["name"] for p in root["projects"]) == sorted(PROJECTS)
    files = all_files(index)
    for project in PROJECTS:
        expected = {f["filename"]: f["digests"]["sha256"]
                    for release_files in project_document(index, project)["releases"].values()
                    for f in release_files}
        page = mirror.web / "simple" / project
        anchors = ANCHOR.findall((page / "index.html").read_text())
        assert {name: sha256 for _, sha256, name in anchors} == expected
        for href, _, name in anchors:
            # Relative links, so the tree works wherever it is served.
            assert (page / href).resolve() == mirror.file_path(files[name]["url"]), href
        listed = json.loads((page / "index.v1_json").read_text())
        assert {f["filename"]: f["hashes"]["sha256"] for f in listed["files"]} == expected
        saved = json.loads((mirror.web / "json" / project).read_text())
        assert saved["last_serial"] == project_document(index, project)["last_serial"]


def test_first_sync_reaches_the_index_serial(index: LiveIndex, mirror: Mirror) -> None:
    assert mirror.serial() == index_serial(index)


def test_second_sync_fetches_only_the_new_file(index: LiveIndex, alice: str, mirror: Mirror,
                                               tmp_path: Path) -> None:
    before_files = all_files(index)
    new = make_wheel(tmp_path, "mirror-lib", "1.2")
    twine_upload(index.url, alice, [new], tmp_path)
    (added,) = [f for n, f in all_files(index).items() if n not in before_files]
    assert added["filename"] == new.name

    start = len(index.log())
    mirror.sync(tmp_path)
    requests = requests_in(index.log()[start:])

    new_path = urlsplit(added["url"]).path
    fetched = sorted(path for _, path, _ in requests if not path.startswith("/simple"))
    assert fetched == sorted(["/pypi/mirror-lib/json", new_path, f"{new_path}.metadata"]), requests
    assert all(status in {200, 301} for _, _, status in requests), requests
    assert sha256_of(mirror.file_path(added["url"])) == sha256_of(new)
    assert new.name in (mirror.web / "simple" / "mirror-lib" / "index.html").read_text()
    assert mirror.serial() == index_serial(index)


def test_third_sync_with_no_change_fetches_nothing(index: LiveIndex, mirror: Mirror,
                                                   tmp_path: Path) -> None:
    serial = mirror.serial()
    start = len(index.log())
    mirror.sync(tmp_path)
    requests = requests_in(index.log()[start:])
    assert [path for _, path, _ in requests if not path.startswith("/simple")] == [], requests
    assert mirror.serial() == serial


@pytest.fixture
def served_mirror(mirror: Mirror) -> Iterator[str]:
    """The mirror's web tree as static files over HTTP on loopback."""
    port = free_port()
    log = mirror.web.parent / "http-server.log"
    with log.open("ab") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "http.server", "--bind", "127.0.0.1", "--directory",
             str(mirror.web), str(port)],
            stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url, server, log, timeout=15)
        yield url
    finally:
        stop_process(server, grace=10)


def test_pip_installs_from_the_static_mirror(served_mirror: str, tmp_path: Path) -> None:
    target = tmp_path / "site"
    pip_install(served_mirror, tmp_path, "--target", str(target), "--only-binary", ":all:",
                "mirror-app")
    installed = sorted(p.name for p in target.glob("*.dist-info"))
    assert installed[0] == "mirror_app-2.0.dist-info"
    assert installed[1].startswith("mirror_lib-1.")
