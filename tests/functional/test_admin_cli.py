"""The admin command line: clear errors with exit codes, and a local import with progress."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from tests.builders import make_sdist, make_wheel
from tests.functional.clients import pip_install, twine_upload
from tests.functional.server import STRONGROOM, LiveIndex

pytestmark = pytest.mark.functional


def test_token_create_prints_only_the_token(index: LiveIndex) -> None:
    index.create_user("dora")
    result = index.cli("admin", "token", "create", "--user", "dora", "--expires-in", "2w")
    assert result.stdout.count("\n") == 1
    assert result.stdout.startswith("strongroom-")


def test_a_revoked_token_uploads_no_more(index: LiveIndex, tmp_path: Path) -> None:
    index.create_user("rita")
    secret = index.token("rita", "--description", "release job")
    before = index.cli("admin", "token", "list", "--user", "rita").stdout.splitlines()
    [token_id, description, scope, access, _created, expires, last_used] = before[0].split("\t")
    assert (len(before), description, scope, access, expires, last_used) == (
        1, "release job", "all projects", "upload", "never", "never")
    twine_upload(index.url, secret, [make_wheel(tmp_path, "rita-lib", "1.0")], tmp_path)
    used = index.cli("admin", "token", "list", "--user", "rita").stdout
    assert used.split("\t")[6].strip().endswith(" UTC")
    assert secret.removeprefix("strongroom-") not in before[0] + used

    revoked = index.cli("admin", "token", "revoke", token_id)
    assert revoked.stderr == f"revoked token {token_id} of user rita (description 'release job')\n"

    refused = twine_upload(index.url, secret, [make_wheel(tmp_path, "rita-lib", "2.0")],
                           tmp_path, check=False)
    said = " ".join((refused.stdout + refused.stderr).split())  # twine wraps to its terminal
    assert refused.returncode != 0
    assert "403" in said
    assert "Invalid API token: unknown or revoked" in said
    assert index.cli("admin", "token", "list", "--user", "rita").stdout == ""
    again = index.cli("admin", "token", "revoke", token_id, check=False)
    assert again.returncode == 4, again.stderr
    assert f"no token with id '{token_id}'" in again.stderr


def test_a_disabled_user_uploads_no_more_until_enabled(index: LiveIndex, tmp_path: Path) -> None:
    index.create_user("dina")
    secret = index.token("dina")
    assert index.cli("admin", "user", "disable", "dina").stderr == "disabled user dina\n"
    listed = index.cli("admin", "user", "list").stdout.splitlines()
    assert "dina\tdina@example.org\tdisabled" in "\n".join(listed)
    refused = twine_upload(index.url, secret, [make_wheel(tmp_path, "dina-lib", "1.0")],
                           tmp_path, check=False)
    said = refused.stdout + refused.stderr
    assert refused.returncode != 0
    assert "Invalid API token: the account is disabled" in said
    index.cli("admin", "user", "enable", "dina")
    twine_upload(index.url, secret, [make_wheel(tmp_path, "dina-lib", "1.0")], tmp_path)
    assert "status:     active" in index.cli("admin", "user", "show", "dina").stdout


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("admin", "token", "create", "--user", "nobody"), 4, "no user named 'nobody'"),
        (("admin", "token", "list", "--user", "nobody"), 4, "no user named 'nobody'"),
        (("admin", "user", "disable", "nobody"), 4, "no user named 'nobody'"),
        (("admin", "user", "show", "nobody"), 4, "no user named 'nobody'"),
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
    assert "policy: import" in result.stderr
    assert "imported 2 (0 with warnings), already present 0, refused 1" in result.stderr
    assert "imported_lib-2.0-py3-none-any.whl" in result.stderr
    page = httpx.get(f"{index.url}/simple/imported-lib/").text
    assert all(g.name in page for g in good)
    assert "2.0" not in page
    pip_install(index.url, tmp_path, "--target", str(tmp_path / "site"), "imported-lib")

    bad.unlink()
    again = index.cli("admin", "import", str(tmp_path), "--user", "importer")
    assert "imported 0 (0 with warnings), already present 2, refused 0" in again.stderr


def test_import_takes_historical_forms_with_warnings_and_upload_policy_refuses_them(
    index: LiveIndex, tmp_path: Path,
) -> None:
    index.create_user("historian")
    old = tmp_path / "old"
    wheel = make_wheel(old, "Legacy.Lib", "1.0", metadata_version="2.0",
                       description_content_type=None)
    sdist = make_sdist(old, "Legacy.Lib", "1.0", filename="Legacy.Lib-1.0.tar.gz",
                       extra_metadata_lines=["Home-page: UNKNOWN"])
    assert wheel.name == "legacy_lib-1.0-py3-none-any.whl"
    wheel = wheel.rename(old / "Legacy.Lib-1.0-py3-none-any.whl")

    strict = index.cli("admin", "import", str(old), "--user", "historian", "--policy", "upload",
                       check=False)
    assert strict.returncode == 1, strict.stderr
    assert "policy: upload" in strict.stderr
    assert "refused 2" in strict.stderr
    # Whole messages, one line each (standard error is not a terminal here), naming the rule.
    lines = strict.stderr.splitlines()
    assert ("refused Legacy.Lib-1.0-py3-none-any.whl [filename-not-normalized] filename: The "
            "name in 'Legacy.Lib-1.0-py3-none-any.whl' must be the normalized project name "
            "'legacy_lib' (PEP 427, PEP 625).") in lines
    assert ("refused Legacy.Lib-1.0-py3-none-any.whl [metadata-version] Metadata-Version: '2.0' "
            "is not a supported version.") in lines
    assert ("refused Legacy.Lib-1.0.tar.gz [url] Home-page: 'UNKNOWN' is not a valid http or "
            "https URL.") in lines
    assert httpx.get(f"{index.url}/simple/legacy-lib/").status_code == 404

    result = index.cli("admin", "import", str(old), "--user", "historian")
    assert "imported 2 (2 with warnings), already present 0, refused 0" in result.stderr
    page = httpx.get(f"{index.url}/simple/legacy-lib/").text
    assert wheel.name in page
    assert sdist.name in page
    document = httpx.get(f"{index.url}/pypi/Legacy.Lib/json", follow_redirects=True).json()
    assert document["info"]["name"] == "Legacy.Lib"
    warnings = {f["filename"]: {w["rule"] for w in f["warnings"]} for f in document["urls"]}
    assert warnings == {wheel.name: {"filename-not-normalized", "metadata-version"},
                        sdist.name: {"filename-not-normalized", "url"}}
    pip_install(index.url, tmp_path, "--target", str(tmp_path / "site"), "legacy-lib==1.0")
    assert (tmp_path / "site" / "legacy_lib" / "__init__.py").exists()


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
