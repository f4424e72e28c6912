"""``strongroom admin user delete`` and ``user reset-2fa``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import select

from strongroom.accounts.models import RecoveryCode, SecurityKey, User, WebSession
from strongroom.cli.admin import admin
from strongroom.cli.state import open_index
from strongroom.config import Settings
from strongroom.errors import Conflict, NotFound
from tests.unit.cli.indexes import index_with_users


def _run(data: Path, *args: str, stdin: str | None = None) -> Result:
    return CliRunner().invoke(admin, [*args, "--data-dir", str(data)], input=stdin)


def _users(data: Path) -> list[str]:
    return [line.split("\t")[0] for line in _run(data, "user", "list").stdout.splitlines()]


def test_a_sole_owner_is_refused_before_any_question(tmp_path: Path) -> None:
    data = index_with_users(tmp_path, "alice")
    for name in ("demo", "Other.Lib"):
        assert _run(data, "project", "create", name, "--owner", "alice").exit_code == 0

    refused = _run(data, "user", "delete", "alice", stdin="y\n")

    assert isinstance(refused.exception, Conflict)  # cli/main.py: exit 5
    assert refused.exception.message.startswith(
        "user 'alice' is the only Owner of 'demo', 'Other.Lib': a project always keeps an "
        "Owner, so transfer ownership first")
    assert "Delete user" not in refused.output
    assert _users(data) == ["alice"]


def test_delete_says_what_goes_and_asks_first(tmp_path: Path) -> None:
    data = index_with_users(tmp_path, "alice", "bob")
    _run(data, "token", "create", "--user", "alice")

    declined = _run(data, "user", "delete", "ALICE", stdin="n\n")

    assert declined.exit_code == 1  # click's Abort
    assert declined.stderr.splitlines()[:3] == [
        "Deleting user alice:",
        "  1 API token(s) deleted",
        "  1 e-mail address(es), 0 web session(s) and every second factor deleted"]
    assert "Delete user alice? [y/N]: " in declined.stderr
    assert _users(data) == ["alice", "bob"]

    accepted = _run(data, "user", "delete", "alice", stdin="y\n")

    assert accepted.exit_code == 0, accepted.output
    assert accepted.stderr.endswith(
        "deleted user alice: 1 API token(s) deleted; 1 e-mail address(es), 0 web session(s) "
        "and every second factor deleted\n")
    assert _users(data) == ["bob"]


def test_delete_with_yes_asks_nothing_and_leaves_the_history(tmp_path: Path) -> None:
    data = index_with_users(tmp_path, "alice")
    _run(data, "user", "disable", "alice")

    deleted = _run(data, "user", "delete", "alice", "--yes")

    assert deleted.exit_code == 0, deleted.output
    assert "?" not in deleted.stderr
    shown = _run(data, "history", "show", "--user", "alice").stdout.splitlines()
    assert [line.split("\t")[2:4] for line in shown] == [
        ["account.deleted", "alice (deleted)"], ["account.disabled", "alice (deleted)"],
        ["account.created", "alice (deleted)"]]
    missing = _run(data, "user", "delete", "alice", "--yes")
    assert isinstance(missing.exception, NotFound)


def _give_factors(data: Path, username: str) -> None:
    db = open_index(Settings(data_dir=data))
    try:
        with db.write() as session:
            user = session.scalars(select(User).where(User.username == username)).one()
            user.totp_secret = "JBSWY3DPEHPK3PXP"
            session.add(SecurityKey(user_id=user.id, name="yubikey", credential_id=b"c",
                                    public_key=b"k"))
            session.add(RecoveryCode(user_id=user.id, code_hash="h"))
            session.add(WebSession(id="s", user_id=user.id, csrf="c",
                                   expires=dt.datetime(2099, 1, 1, tzinfo=dt.UTC)))
    finally:
        db.dispose()


def test_reset_2fa_needs_a_reason_asks_and_records_it(tmp_path: Path) -> None:
    data = index_with_users(tmp_path, "alice")
    _give_factors(data, "alice")

    unexplained = _run(data, "user", "reset-2fa", "alice", "--yes")
    assert unexplained.exit_code == 2
    assert "Missing option '--reason'" in unexplained.output

    declined = _run(data, "user", "reset-2fa", "alice", "--reason", "lost phone", stdin="n\n")
    assert declined.exit_code == 1
    assert "Remove every second factor of alice and end their web sessions? [y/N]" in \
        declined.stderr

    reset = _run(data, "user", "reset-2fa", "Alice", "--reason", "lost phone; ticket 42",
                 stdin="y\n")

    assert reset.exit_code == 0, reset.output
    assert reset.stderr.endswith(
        "reset the second factors of alice: TOTP removed, 1 security key(s) and 1 recovery "
        "code(s) removed, 1 web session(s) ended\n")
    [event, made] = _run(data, "history", "show", "--user", "alice").stdout.splitlines()
    assert (event.split("\t")[2], made.split("\t")[2]) == ("2fa.reset", "account.created")
    assert '"reason":"lost phone; ticket 42"' in event.split("\t")[7]


def test_reset_2fa_of_an_unknown_user_asks_nothing(tmp_path: Path) -> None:
    data = index_with_users(tmp_path, "alice")
    missing = _run(data, "user", "reset-2fa", "nobody", "--reason", "r", stdin="y\n")
    assert isinstance(missing.exception, NotFound)
    assert "Remove" not in missing.output
