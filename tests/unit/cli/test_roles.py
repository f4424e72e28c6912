"""``strongroom admin project role|invite|uninvite|invitations``, the roles ``project show``
lists, and ``strongroom admin team``."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner, Result

from strongroom.cli.admin import admin
from strongroom.errors import Conflict, NotFound
from tests.unit.cli.indexes import index_with_users


def _run(data: Path, *args: str) -> Result:
    return CliRunner().invoke(admin, [*args, "--data-dir", str(data)])


def _ok(data: Path, *args: str) -> Result:
    result = _run(data, *args)
    assert result.exit_code == 0, (result.output, result.exception)
    return result


def _lines(data: Path, *args: str) -> list[list[str]]:
    return [line.split("\t") for line in _ok(data, *args).stdout.splitlines()]


def test_roles_are_listed_set_and_removed(tmp_path: Path) -> None:
    data = index_with_users(tmp_path, "alice", "bob")
    _ok(data, "project", "create", "Demo", "--owner", "alice")

    assert _ok(data, "project", "role", "set", "demo", "bob", "maintainer").stderr == \
        "bob is Maintainer of demo\n"
    assert _ok(data, "project", "role", "set", "demo", "bob", "Maintainer").stderr == \
        "bob is Maintainer of demo already\n"
    assert _lines(data, "project", "role", "list", "demo") == [
        ["alice", "user", "Owner"], ["bob", "user", "Maintainer"]]

    refused = _run(data, "project", "role", "remove", "demo", "alice")
    assert isinstance(refused.exception, Conflict)  # cli/main.py: exit 5
    assert "'alice' is the only Owner of project 'Demo'" in refused.exception.message
    assert isinstance(_run(data, "project", "role", "set", "demo", "bob", "Admin").exception,
                      SystemExit)  # click's usage error, exit 2

    _ok(data, "project", "role", "remove", "demo", "bob")
    assert _lines(data, "project", "role", "list", "demo") == [["alice", "user", "Owner"]]
    shown = _ok(data, "history", "show", "--limit", "2").stdout.splitlines()
    assert [line.split("\t")[2:5] for line in shown] == [["role.removed", "bob", "demo"],
                                                         ["role.added", "bob", "demo"]]


def test_invitations_are_made_listed_and_revoked(tmp_path: Path) -> None:
    data = index_with_users(tmp_path, "alice", "bob", "carol")
    _ok(data, "project", "create", "Demo", "--owner", "alice")

    invited = _ok(data, "project", "invite", "demo", "bob", "--role", "owner")
    assert invited.stderr.startswith("invited bob to be Owner of Demo until ")
    _ok(data, "project", "invite", "demo", "carol", "--role", "Maintainer")
    again = _run(data, "project", "invite", "demo", "bob", "--role", "Owner")
    assert isinstance(again.exception, Conflict)

    rows = _lines(data, "project", "invitations")
    assert [row[:4] + row[5:] for row in rows] == [
        ["Demo", "bob", "Owner", "admin", "open"], ["Demo", "carol", "Maintainer", "admin", "open"]]
    assert rows[0][4].endswith(" UTC")
    assert [row[1] for row in _lines(data, "project", "invitations", "--user", "CAROL")] == \
        ["carol"]

    _ok(data, "project", "uninvite", "demo", "bob")
    assert [row[1] for row in _lines(data, "project", "invitations", "--project", "demo")] == \
        ["carol"]
    assert isinstance(_run(data, "project", "uninvite", "demo", "bob").exception, NotFound)
    _ok(data, "project", "uninvite", "demo", "carol")
    assert _ok(data, "project", "invitations").stderr == "no invitations\n"


def test_teams_are_made_filled_granted_and_deleted(tmp_path: Path) -> None:
    data = index_with_users(tmp_path, "alice", "bob")
    _ok(data, "project", "create", "demo", "--owner", "alice")
    assert _ok(data, "team", "list").stderr.startswith("no teams yet")

    _ok(data, "team", "create", "Core")
    assert isinstance(_run(data, "team", "create", "core").exception, Conflict)
    assert _ok(data, "team", "add-member", "core", "bob").stderr == "bob joined team core\n"
    assert _ok(data, "team", "add-member", "core", "bob").stderr == \
        "bob was already in team core\n"
    _ok(data, "team", "grant", "core", "demo", "maintainer")
    _ok(data, "team", "grant", "core", "demo", "Owner")
    assert _lines(data, "team", "list") == [["Core", "bob", "Owner of demo"]]
    assert _lines(data, "project", "role", "list", "demo") == [
        ["alice", "user", "Owner"], ["Core", "team", "Owner"]]
    _ok(data, "team", "create", "web")
    _ok(data, "team", "grant", "web", "demo", "Maintainer")
    shown = _ok(data, "project", "show", "demo").stdout
    assert "owners: alice\nmaintainers: -\nowner teams: Core\nmaintainer teams: web\n" in shown
    _ok(data, "team", "delete", "web")

    _ok(data, "team", "revoke", "core", "demo")
    assert isinstance(_run(data, "team", "revoke", "core", "demo").exception, NotFound)
    _ok(data, "team", "remove-member", "core", "bob")
    assert isinstance(_run(data, "team", "remove-member", "core", "bob").exception, NotFound)
    _ok(data, "team", "add-member", "core", "alice")
    _ok(data, "team", "grant", "core", "demo", "Maintainer")
    assert _ok(data, "team", "delete", "core").stderr == \
        "deleted team Core (1 member(s), 1 role(s))\n"
    assert _lines(data, "project", "role", "list", "demo") == [["alice", "user", "Owner"]]


def test_a_user_deleted_with_a_team_and_an_invitation(tmp_path: Path) -> None:
    data = index_with_users(tmp_path, "alice", "bob")
    _ok(data, "project", "create", "demo", "--owner", "alice")
    _ok(data, "team", "create", "core")
    _ok(data, "team", "add-member", "core", "bob")
    _ok(data, "project", "invite", "demo", "bob", "--role", "Maintainer")
    deleted = _ok(data, "user", "delete", "bob", "--yes")
    assert "left team(s) core; 1 invitation(s) deleted" in deleted.stderr
    assert _lines(data, "team", "list") == [["core", "-", "-"]]
    assert _ok(data, "project", "invitations").stderr == "no invitations\n"
