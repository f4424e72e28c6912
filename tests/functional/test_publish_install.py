"""The core promise: twine publishes, pip and uv install (dependencies included, through PEP 658
metadata files), the CLI administers, all against a live server."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import httpx
import pytest
from twine.commands.upload import skip_upload
from twine.package import PackageFile
from twine.repository import Repository

from tests.builders import make_sdist, make_wheel
from tests.functional.clients import pip_install, twine_upload, uv_pip_install, uv_venv
from tests.functional.server import LiveIndex

pytestmark = pytest.mark.functional


@pytest.fixture(scope="module")
def published(index: LiveIndex, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """alice publishes 'demo-app' (two versions) depending on 'demo-lib'; returns tokens."""
    dist = tmp_path_factory.mktemp("dist")
    index.create_user("alice")
    index.create_user("bob")
    tokens = {"alice": index.token("alice"), "bob": index.token("bob")}
    files = [
        make_wheel(dist, "demo-lib", "1.0"),
        make_sdist(dist, "demo-lib", "1.0"),
        make_wheel(dist, "demo-app", "1.0", deps=("demo-lib>=1.0",)),
        make_wheel(dist, "demo-app", "2.0", deps=("demo-lib>=1.0",)),
        make_sdist(dist, "demo-app", "2.0"),
    ]
    twine_upload(index.url, tokens["alice"], files, dist)
    return tokens


def test_first_uploader_owns_the_project(index: LiveIndex, published: dict[str, str],
                                         tmp_path: Path) -> None:
    other = make_wheel(tmp_path, "demo-app", "3.0")
    result = twine_upload(index.url, published["bob"], [other], tmp_path, check=False)
    assert result.returncode != 0
    assert "403" in result.stdout + result.stderr
    assert "isn't allowed to upload to project 'demo-app'" in result.stdout + result.stderr
    page = httpx.get(f"{index.url}/simple/demo-app/").text
    assert "demo_app-3.0" not in page


def test_pip_installs_with_dependencies(index: LiveIndex, published: dict[str, str],
                                        tmp_path: Path) -> None:
    target = tmp_path / "site"
    pip_install(index.url, tmp_path, "--target", str(target), "demo-app")
    installed = sorted(p.name for p in target.glob("*.dist-info"))
    assert installed == ["demo_app-2.0.dist-info", "demo_lib-1.0.dist-info"]


def test_pip_resolves_from_metadata_files_alone(index: LiveIndex, published: dict[str, str],
                                                tmp_path: Path) -> None:
    before = len(index.log())
    result = pip_install(index.url, tmp_path, "--dry-run", "--report", "-", "--quiet",
                         "demo-app==1.0")
    report = json.loads(result.stdout)
    assert sorted(i["metadata"]["name"] for i in report["install"]) == ["demo-app", "demo-lib"]
    requests = index.log()[before:]
    assert re.search(r"GET /packages/\S+\.whl\.metadata HTTP", requests)
    assert not re.search(r"GET /packages/\S+\.whl HTTP", requests), requests


def test_uv_installs_with_dependencies(index: LiveIndex, published: dict[str, str],
                                       tmp_path: Path) -> None:
    venv = uv_venv(tmp_path)
    before = len(index.log())
    uv_pip_install(index.url, venv, tmp_path, "demo-app==1.0")
    site = next(venv.glob("lib/python*/site-packages"))
    installed = sorted(p.name for p in site.glob("demo_*.dist-info"))
    assert installed == ["demo_app-1.0.dist-info", "demo_lib-1.0.dist-info"]
    requests = index.log()[before:]
    # uv reads the JSON simple API and the metadata files; it downloads only what it installs.
    assert "demo_app-2.0-py3-none-any.whl HTTP" not in requests


def test_reupload_is_idempotent_and_skip_existing_works(index: LiveIndex,
                                                        published: dict[str, str],
                                                        tmp_path: Path) -> None:
    same = make_wheel(tmp_path, "demo-lib", "1.0")
    serial = httpx.get(f"{index.url}/simple/demo-lib/").headers["X-PyPI-Last-Serial"]
    twine_upload(index.url, published["alice"], [same], tmp_path)
    assert httpx.get(f"{index.url}/simple/demo-lib/").headers["X-PyPI-Last-Serial"] == serial

    different = make_wheel(tmp_path / "other", "demo-lib", "1.0", summary="changed bytes")
    result = twine_upload(index.url, published["alice"], [different], tmp_path, check=False)
    assert result.returncode != 0
    assert "File already exists" in result.stdout + result.stderr
    # twine 7 allows --skip-existing only against pypi.org, so ask its own decision function.
    package = PackageFile.from_filename(str(different), comment=None)
    repository = Repository(f"{index.url}/legacy/", "__token__", published["alice"],
                            disable_progress_bar=True)
    try:
        response = repository.upload(package)
    finally:
        repository.close()
    assert response.status_code == 400
    assert response.reason.startswith("File already exists ('demo_lib-1.0-py3-none-any.whl'")
    assert skip_upload(response, True, package)


def test_yank_and_unyank_from_the_cli(index: LiveIndex, published: dict[str, str],
                                      tmp_path: Path) -> None:
    index.cli("admin", "yank", "demo-app", "2.0", "--reason", "broken build")
    page = httpx.get(f"{index.url}/simple/demo-app/",
                     headers={"Accept": "application/vnd.pypi.simple.v1+json"}).json()
    yanked = {f["filename"]: f["yanked"] for f in page["files"]}
    assert yanked["demo_app-2.0-py3-none-any.whl"] == "broken build"
    assert yanked["demo_app-1.0-py3-none-any.whl"] is False

    target = tmp_path / "site"
    pip_install(index.url, tmp_path, "--target", str(target), "demo-app")
    assert (target / "demo_app-1.0.dist-info").is_dir()

    index.cli("admin", "unyank", "demo-app", "2.0")
    page = httpx.get(f"{index.url}/simple/demo-app/",
                     params={"format": "application/vnd.pypi.simple.v1+json"})
    assert all(f["yanked"] is False for f in page.json()["files"])


def test_project_scoped_and_expired_tokens(index: LiveIndex, published: dict[str, str],
                                           tmp_path: Path) -> None:
    scoped = index.token("alice", "--project", "demo-lib")
    wheel = make_wheel(tmp_path, "demo-app", "4.0")
    denied = twine_upload(index.url, scoped, [wheel], tmp_path, check=False)
    assert "isn't allowed to upload to project 'demo-app'" in denied.stdout + denied.stderr
    allowed = make_wheel(tmp_path, "demo-lib", "1.1")
    twine_upload(index.url, scoped, [allowed], tmp_path)


def test_journal_chain_verifies(index: LiveIndex, published: dict[str, str]) -> None:
    result = index.cli("admin", "journal", "verify")
    assert "journal intact" in result.stderr


def test_real_published_distributions_round_trip(index: LiveIndex, tmp_path: Path) -> None:
    """Wheels and sdists downloaded from PyPI (tests/data) publish and install unchanged."""
    real = sorted((Path(__file__).parent.parent / "data").glob("*.*"))
    real = [p for p in real if p.name.endswith((".whl", ".tar.gz"))]
    assert len(real) >= 4
    index.create_user("packager")
    twine_upload(index.url, index.token("packager"), real, tmp_path)
    target = tmp_path / "site"
    pip_install(index.url, tmp_path, "--no-deps", "--target", str(target), "six", "idna",
                "packaging")
    assert {p.name.split("-")[0] for p in target.glob("*.dist-info")} == {
        "six", "idna", "packaging"}
    for path in real:
        name = path.name.split("-")[0]
        page = httpx.get(f"{index.url}/pypi/{name}/json").json()
        digests = {u["filename"]: u["digests"]["sha256"] for u in page["urls"]}
        assert digests[path.name] == hashlib.sha256(path.read_bytes()).hexdigest()
