"""``strongroom admin user list``, ``show``, ``disable`` and ``enable``."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from strongroom.cli.admin import admin
from strongroom.errors import NotFound
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
