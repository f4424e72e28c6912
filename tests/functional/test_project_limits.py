"""Big files and per-project limits against a live server whose default file limit is 1 MiB:
twine's upload and the admin import refused past a project's limits with PyPI's words, let
through once an admin raises them, and projects made empty for their owners."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.builders import make_wheel
from tests.databases import BACKENDS
from tests.functional.clients import pip_install, said, twine_upload
from tests.functional.server import LiveIndex, running_index

pytestmark = pytest.mark.functional

MiB = 2**20


@pytest.fixture(scope="module", params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[LiveIndex]:
    """A server (and its CLI) whose default limits are 1 MiB per file and 4 MiB per project."""
    limits = {"STRONGROOM_MAX_FILE_SIZE": "1MiB", "STRONGROOM_MAX_PROJECT_SIZE": "4MiB"}
    root = tmp_path_factory.mktemp(f"limits-{request.param}")
    with running_index(request.param, root, extra_env=limits) as live:
        for user in ("alice", "bob", "carol"):
            live.create_user(user)
        yield live


def big_wheel(directory: Path, name: str, version: str, size: int = 3 * MiB) -> Path:
    """A valid wheel with ``size`` random (incompressible) bytes in one member."""
    module = name.replace("-", "_").lower()
    return make_wheel(directory, name, version,
                      extra_files={f"{module}/data.bin": os.urandom(size)})


def test_a_file_over_the_default_passes_once_the_project_limit_is_raised(
        index: LiveIndex, tmp_path: Path) -> None:
    token = index.token("alice")
    twine_upload(index.url, token, [make_wheel(tmp_path, "Big-Lib", "0.1")], tmp_path)
    wheel = big_wheel(tmp_path, "Big-Lib", "1.0")

    refused = twine_upload(index.url, token, [wheel], tmp_path, check=False)
    assert refused.returncode != 0
    assert "File too large. Limit for project 'Big-Lib' is 1 MiB." in said(refused)

    index.cli("admin", "project", "limits", "big-lib", "--file-size", "5MiB", "--total", "20MiB")
    twine_upload(index.url, token, [wheel], tmp_path)
    page = httpx.get(f"{index.url}/simple/big-lib/", headers={
        "Accept": "application/vnd.pypi.simple.v1+json"}).json()
    stored = next(f for f in page["files"] if f["filename"] == wheel.name)
    assert stored["size"] == wheel.stat().st_size
    assert stored["hashes"]["sha256"] == hashlib.sha256(wheel.read_bytes()).hexdigest()
    pip_install(index.url, tmp_path, "--target", str(tmp_path / "site"), "big-lib==1.0")
    installed = tmp_path / "site" / "big_lib" / "data.bin"
    assert installed.stat().st_size == 3 * MiB


def test_a_project_total_limit_refuses_what_would_pass_it(index: LiveIndex,
                                                          tmp_path: Path) -> None:
    token = index.token("alice")
    index.cli("admin", "project", "create", "Tall-Lib", "--owner", "alice")
    index.cli("admin", "project", "limits", "tall-lib", "--file-size", "4MiB", "--total",
              "5MiB")
    twine_upload(index.url, token, [big_wheel(tmp_path, "Tall-Lib", "1.0")], tmp_path)
    refused = twine_upload(index.url, token, [big_wheel(tmp_path, "Tall-Lib", "2.0")], tmp_path,
                           check=False)
    assert refused.returncode != 0
    assert ("Project size too large. Limit for project 'Tall-Lib' total size is 5 MiB."
            in said(refused))
    index.cli("admin", "project", "limits", "tall-lib", "--total", "default")  # 4 MiB
    show = index.cli("admin", "project", "show", "tall-lib").stdout
    assert "total size limit: 4 MiB (default)" in show
    assert "file size limit: 4 MiB\n" in show


def test_a_body_for_a_project_on_the_default_is_stopped_early(index: LiveIndex,
                                                              tmp_path: Path) -> None:
    index.cli("admin", "project", "create", "roomy", "--owner", "alice")
    index.cli("admin", "project", "limits", "roomy", "--file-size", "200MiB")
    token = index.token("alice")
    # 40 MiB declared for a project on the default: over 1 MiB + the form's 32 MiB allowance.
    form = {":action": "file_upload", "name": "cramped", "version": "1.0",
            "filetype": "bdist_wheel", "pyversion": "py3", "sha256_digest": "0" * 64}
    files = {"content": ("cramped-1.0-py3-none-any.whl", b"x" * (40 * MiB))}
    answer = httpx.post(f"{index.url}/legacy/", data=form, files=files, timeout=60,
                        auth=("__token__", token))
    assert answer.status_code == 413
    assert answer.reason_phrase.startswith("File too large. Limit is 33 MiB")


def test_an_admin_creates_a_project_for_its_owner(index: LiveIndex, tmp_path: Path) -> None:
    created = index.cli("admin", "project", "create", "Gift.Pkg", "--owner", "bob")
    assert "created project Gift.Pkg, owned by bob" in created.stderr
    html = httpx.get(f"{index.url}/simple/gift-pkg/")
    assert html.status_code == 200
    assert "<a " not in html.text
    listing = httpx.get(f"{index.url}/simple/gift-pkg/", headers={
        "Accept": "application/vnd.pypi.simple.v1+json"}).json()
    assert (listing["name"], listing["files"]) == ("gift-pkg", [])
    assert "gift-pkg" in httpx.get(f"{index.url}/simple/").text
    assert httpx.get(f"{index.url}/pypi/gift-pkg/json").status_code == 404

    denied = twine_upload(index.url, index.token("carol"),
                          [make_wheel(tmp_path / "c", "Gift.Pkg", "1.0")], tmp_path, check=False)
    assert "403" in said(denied)
    assert "isn't allowed to upload to project 'gift-pkg'" in said(denied)
    twine_upload(index.url, index.token("bob"), [make_wheel(tmp_path / "b", "Gift.Pkg", "1.0")],
                 tmp_path)
    show = index.cli("admin", "project", "show", "gift_pkg").stdout
    assert "owners: bob\n" in show
    assert "releases: 1 (1 files)" in show
    assert "file size limit: 1 MiB (default)" in show
    journal = index.cli("admin", "journal", "verify")
    assert "journal intact" in journal.stderr


def test_import_follows_the_projects_limit(index: LiveIndex, tmp_path: Path) -> None:
    index.cli("admin", "project", "create", "heavy-import", "--owner", "alice")
    wheel = big_wheel(tmp_path / "dist", "heavy-import", "1.0")
    refused = index.cli("admin", "import", str(wheel), "--user", "alice", check=False)
    assert refused.returncode == 1
    table = "".join(refused.stderr.split())  # rich's table wraps the reason in its cell
    assert "Filetoolarge.Limitforproject'heavy-import'is1MiB." in table.replace("│", "")
    index.cli("admin", "project", "limits", "heavy-import", "--file-size", "4MiB")
    imported = index.cli("admin", "import", str(wheel), "--user", "alice")
    assert "imported 1 (0 with warnings), already present 0, refused 0" in imported.stderr


@pytest.mark.parametrize(("args", "code", "message"), [
    (("admin", "project", "show", "no-such"), 4, "no project named 'no-such'"),
    (("admin", "project", "limits", "no-such", "--total", "1GiB"), 4, "no project named"),
    (("admin", "project", "create", "orphan", "--owner", "nobody"), 4, "no user named 'nobody'"),
    (("admin", "project", "create", "not a name", "--owner", "alice"), 2, "project name"),
    (("admin", "project", "limits", "big-lib", "--file-size", "lots"), 2, "'lots' is not a size"),
])
def test_project_command_errors_are_one_clear_line(index: LiveIndex, args: tuple[str, ...],
                                                   code: int, message: str) -> None:
    result = index.cli(*args, check=False)
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_second_project_of_the_same_name_is_a_conflict(index: LiveIndex) -> None:
    index.cli("admin", "project", "create", "Twice", "--owner", "alice")
    again = index.cli("admin", "project", "create", "twice", "--owner", "bob", check=False)
    assert again.returncode == 5
    assert "project 'Twice' already exists" in again.stderr
