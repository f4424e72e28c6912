"""``strongroom admin user create``, ``list``, ``show``, ``disable`` and ``enable``."""

from __future__ import annotations

import hashlib
from pathlib import Path

from click.testing import CliRunner, Result

from strongroom.cli.admin import admin
from strongroom.errors import InvalidInput, NotFound
from tests.unit.cli.indexes import index_with_users


def _run(data: Path, *args: str) -> Result:
    return CliRunner().invoke(admin, ["user", *args, "--data-dir", str(data)])


def test_list_is_one_tab_separated_line_per_user_by_name(tmp_path: Path) -> None:
    data = index_with_users(tmp_path, "zoe", "Alice", "bob")
    listed = _run(data, "list")
    assert listed.exit_code == 0, listed.output
    rows = [line.split("\t") for line in listed.stdout.splitlines()]
    assert [row[:3] for row in rows] == [["Alice", "Alice@example.org", "active"],
                                         ["bob", "bob@example.org", "active"],
                                         ["zoe", "zoe@example.org", "active"]]
    assert all(row[3].endswith(" UTC") for row in rows)
    assert "argon2" not in listed.output  # no password hashes


def test_an_index_without_users_says_so(tmp_path: Path) -> None:
    data = index_with_users(tmp_path)
    listed = _run(data, "list")
    assert (listed.exit_code, listed.stdout) == (0, "")
    assert "no users yet" in listed.stderr


def test_disable_and_enable_show_in_list_and_show(tmp_path: Path) -> None:
    data = index_with_users(tmp_path, "alice", "bob")
    disabled = _run(data, "disable", "ALICE")
    assert disabled.exit_code == 0, disabled.output
    assert disabled.stderr == "disabled user alice\n"
    statuses = [line.split("\t")[2] for line in _run(data, "list").stdout.splitlines()]
    assert statuses == ["disabled", "active"]
    shown = _run(data, "show", "alice").stdout
    assert "status:     disabled" in shown
    assert "API tokens: 0" in shown
    assert _run(data, "enable", "alice").stderr == "enabled user alice\n"
    assert "status:     active" in _run(data, "show", "alice").stdout


def test_unknown_users_are_not_found(tmp_path: Path) -> None:
    data = index_with_users(tmp_path, "alice")
    for args in (("show", "nobody"), ("disable", "nobody"), ("enable", "nobody")):
        result = _run(data, *args)
        assert isinstance(result.exception, NotFound), args  # cli/main.py: exit 4
        assert result.exception.message == "no user named 'nobody'"


def test_create_refuses_weak_and_breached_passwords(tmp_path: Path) -> None:
    breached = "correct horse battery staple"
    digest = hashlib.sha1(breached.encode(), usedforsecurity=False).hexdigest().upper()
    listed = tmp_path / "pwned.txt"
    listed.write_text(f"{'0' * 40}:1\n{digest}:3861\n{'F' * 40}:2\n")

    def create(password: str, listed: Path = listed) -> Result:
        return CliRunner().invoke(
            admin, ["user", "create", "erin", "--email", "erin@example.org", "--password-stdin",
                    "--data-dir", str(tmp_path / "data")],
            input=f"{password}\n", env={"STRONGROOM_BREACHED_PASSWORDS": str(listed)})

    for password, says in (("password1234", "password: too easy to guess"),
                           (breached, "password: found in a data breach (3,861 times)")):
        refused = create(password)
        assert isinstance(refused.exception, InvalidInput), refused.output  # exit 2
        assert refused.exception.message.startswith(says)
    (tmp_path / "bad.txt").write_text(f"{digest.lower()}:1\n")
    bad = create("a long enough password", tmp_path / "bad.txt")
    assert isinstance(bad.exception, InvalidInput)
    assert "STRONGROOM_BREACHED_PASSWORDS" in bad.exception.message
    created = create("a long enough password")
    assert (created.exit_code, created.stderr) == (0, "created user erin\n")
