"""The admin command line: clear errors with exit codes, and a local import with progress."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.builders import make_sdist, make_wheel
from tests.functional.clients import pip_install
from tests.functional.server import STRONGROOM, LiveIndex

pytestmark = pytest.mark.functional


def test_token_create_prints_only_the_token(index: LiveIndex) -> None:
    index.create_user("dora")
    result = index.cli("admin", "token", "create", "--user", "dora", "--expires-in", "2w")
    assert result.stdout.count("\n") == 1
    assert result.stdout.startswith("strongroom-")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("admin", "token", "create", "--user", "nobody"), 4, "no user named 'nobody'"),
        (("admin", "token", "create", "--user", "dora", "--expires-in", "soon"), 2,
         "is not a duration"),
        (("admin", "yank", "no-such-project", "1.0"), 4, "no project named"),
        (("admin", "yank", "demo", "not a version"), 2, "not a valid PEP 440 version"),
        (("admin", "user", "create", "bad name!", "--email", "x@example.org", "--password-stdin"),
         2, "username 'bad name!'"),
        (("admin", "user", "create", "erin", "--email", "not-an-address", "--password-stdin"),
         2, "email 'not-an-address'"),
    ],
)
def test_errors_are_one_clear_line(index: LiveIndex, args: tuple[str, ...], code: int,
                                   message: str) -> None:
    result = index.cli(*args, stdin="a long enough password\n", check=False)
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_a_project_token_needs_the_project_and_a_role_on_it(index: LiveIndex,
                                                           tmp_path: Path) -> None:
    index.create_user("holder")
    index.create_user("outsider")
    missing = index.cli("admin", "token", "create", "--user", "holder", "--project", "held-lib",
                        check=False)
    assert missing.returncode == 4, missing.stderr
    assert "no project named 'held-lib': a token can be limited only to a project that exists" \
        in missing.stderr
    index.cli("admin", "import", str(make_wheel(tmp_path, "held-lib", "1.0")), "--user", "holder")
    refused = index.cli("admin", "token", "create", "--user", "outsider", "--project", "held-lib",
                        check=False)
    assert refused.returncode == 3, refused.stderr
    assert "'outsider' may not upload to project 'held-lib'" in refused.stderr
    assert refused.stdout == ""
    assert index.token("holder", "--project", "Held_Lib").startswith("strongroom-")


def test_short_password_is_refused(index: LiveIndex) -> None:
    result = index.cli("admin", "user", "create", "frank", "--email", "f@example.org",
                       "--password-stdin", stdin="short\n", check=False)
    assert result.returncode == 2
    assert "12 to 4096 characters" in result.stderr


def test_import_validates_each_file_and_reports_refusals(index: LiveIndex,
                                                         tmp_path: Path) -> None:
    index.create_user("importer")
    good = [make_wheel(tmp_path, "imported-lib", "1.0"),
            make_sdist(tmp_path, "imported-lib", "1.0")]
    bad = tmp_path / "imported_lib-2.0-py3-none-any.whl"
    bad.write_bytes(b"not a zip at all")

    result = index.cli("admin", "import", str(tmp_path), "--user", "importer", check=False)

    assert result.returncode == 1
    assert "imported 2, already present 0, refused 1" in result.stderr
    assert "imported_lib-2.0-py3-none-any.whl" in result.stderr
    page = httpx.get(f"{index.url}/simple/imported-lib/").text
    assert all(g.name in page for g in good)
    assert "2.0" not in page
    pip_install(index.url, tmp_path, "--target", str(tmp_path / "site"), "imported-lib")

    bad.unlink()
    again = index.cli("admin", "import", str(tmp_path), "--user", "importer")
    assert "imported 0, already present 2, refused 0" in again.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("admin", "journal", "verify"),
        ("admin", "gc", "--grace", "3600"),
        ("admin", "yank", "demo", "1.0"),
        ("admin", "unyank", "demo", "1.0"),
        ("admin", "token", "create", "--user", "dora"),
        ("admin", "export-static", "exported"),
    ],
)
def test_commands_that_need_an_index_refuse_a_data_dir_without_one(
        tmp_path: Path, args: tuple[str, ...]) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("STRONGROOM_")}
    missing = tmp_path / "no-such-index"
    result = subprocess.run([*STRONGROOM, *args, "--data-dir", str(missing)], cwd=tmp_path,
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 4, result.stderr
    assert result.stderr.startswith(f"error: no index at {missing} ")
    assert "`strongroom serve` or `strongroom admin user create` makes one" in result.stderr
    assert result.stderr.count("\n") == 1
    assert list(tmp_path.iterdir()) == []
