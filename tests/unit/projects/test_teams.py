"""Teams: unique names, members and roles journaled and recorded; a team's role lets its members
upload through the real upload service, in as many statements as a user's own role."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from strongroom.accounts import AccountAdmin
from strongroom.config import Limits
from strongroom.db import journal
from strongroom.domain.principals import Credentials
from strongroom.errors import Conflict, Forbidden, InvalidInput, NotFound
from strongroom.projects import TeamSummary, leave_projects
from strongroom.rendering import ReadmeSandbox
from strongroom.storage import LocalBlobStore
from strongroom.tokens import TokenService
from strongroom.upload import UploadRequest, UploadService
from tests.builders import make_wheel
from tests.unit.projects.conftest import ADMIN, START, Index


def test_names_are_unique_without_case_and_well_formed(index: Index) -> None:
    index.teams.create("Core-Devs", actor="admin")
    with pytest.raises(Conflict, match="team 'Core-Devs' already exists"):
        index.teams.create("core-devs", actor="admin")
    with pytest.raises(InvalidInput, match="team name 'no spaces'"):
        index.teams.create("no spaces", actor="admin")
    assert index.teams.teams() == [TeamSummary("Core-Devs", (), ())]
    assert index.events() == [("team.changed", None, None, {
        "team": "Core-Devs", "action": "created", "by": "admin"})]


def test_members_come_and_go_in_the_history(index: Index) -> None:
    index.teams.create("core", actor="admin")
    assert index.teams.add_member("CORE", "Bob", actor="admin") is True
    assert index.teams.add_member("core", "bob", actor="admin") is False
    index.teams.add_member("core", "alice", actor="admin")
    assert index.teams.teams()[0].members == ("alice", "bob")
    index.teams.remove_member("core", "bob", actor="root")
    with pytest.raises(NotFound, match="'bob' is not a member of team 'core'"):
        index.teams.remove_member("core", "bob", actor="admin")
    with pytest.raises(NotFound, match="no team named 'ghost'"):
        index.teams.add_member("ghost", "bob", actor="admin")
    assert [(kind, user, details["action"], details["by"])
            for kind, user, _project, details in index.events()[1:]] == [
        ("team.changed", "bob", "added", "admin"), ("team.changed", "alice", "added", "admin"),
        ("team.changed", "bob", "removed", "root")]


def test_a_teams_role_is_journaled_and_recorded(index: Index) -> None:
    index.teams.create("core", actor="admin")
    before = index.serial()
    assert index.teams.grant("core", "Demo", "maintainer", actor="admin") == before + 1
    assert index.teams.grant("core", "demo", "Maintainer", actor="admin") is None
    assert index.teams.grant("core", "demo", "Owner", actor="admin") == before + 2
    assert index.holders() == {("alice", "Owner", False), ("core", "Owner", True)}
    assert index.teams.revoke("core", "demo", actor="admin") == before + 3
    with pytest.raises(NotFound, match="team 'core' holds no role in project 'Demo'"):
        index.teams.revoke("core", "demo", actor="admin")
    assert index.journal(before) == [
        ("demo", "add Maintainer team core", "admin"),
        ("demo", "change Maintainer team core to Owner", "admin"),
        ("demo", "remove Owner team core", "admin")]
    assert [event[0] for event in index.events()[1:]] == [
        "role.added", "role.changed", "role.removed"]
    assert index.events()[2] == ("role.changed", None, "demo", {
        "team": "core", "role": "Owner", "from": "Maintainer", "by": "admin"})
    assert [w.serial for w in index.written] == [before + 1, before + 2, before + 3]


def test_deleting_a_team_removes_its_roles_and_members(index: Index) -> None:
    index.teams.create("core", actor="admin")
    index.teams.add_member("core", "bob", actor="admin")
    index.teams.grant("core", "demo", "Owner", actor="admin")
    before = index.serial()
    gone = index.teams.delete("Core", actor="admin")
    assert gone == TeamSummary("core", ("bob",), (("Demo", "Owner"),))
    assert index.journal(before) == [("demo", "remove Owner team core", "admin")]
    assert index.written[-1] == journal.Written(before + 1, {"demo": frozenset()})
    assert index.events()[-1] == ("team.changed", None, None, {
        "team": "core", "action": "deleted", "by": "admin", "members": ["bob"]})
    assert index.teams.teams() == []
    assert index.holders() == {("alice", "Owner", False)}


def test_a_deleted_account_leaves_its_teams(index: Index) -> None:
    index.teams.create("core", actor="admin")
    index.teams.add_member("core", "bob", actor="admin")
    deleted = AccountAdmin(index.db, dependents=[leave_projects]).delete(
        "bob", now=START, actor="admin")
    assert "left team(s) core" in deleted.released
    assert index.teams.teams()[0].members == ()
    assert ("team.changed", "bob", None, {"team": "core", "action": "removed", "by": "admin",
                                          "reason": "account deleted"}) in index.events()


@contextmanager
def _statements(index: Index) -> Iterator[list[str]]:
    """Every statement SQLite runs meanwhile, uploads' prepared ones included (they go to the
    driver directly, past SQLAlchemy's events); on PostgreSQL, nothing is counted."""
    seen: list[str] = []

    def trace(connection: Any, _record: Any, _proxy: Any = None) -> None:
        if index.db.engine.dialect.name == "sqlite":
            connection.set_trace_callback(seen.append)

    def untrace(connection: Any, _record: Any) -> None:
        if index.db.engine.dialect.name == "sqlite":
            connection.set_trace_callback(None)

    event.listen(index.db.engine, "checkout", trace)
    event.listen(index.db.engine, "checkin", untrace)
    try:
        yield seen
    finally:
        event.remove(index.db.engine, "checkout", trace)
        event.remove(index.db.engine, "checkin", untrace)


def _upload(service: UploadService, path: Path, token: str) -> int | None:
    data = path.read_bytes()
    fields = {":action": "file_upload", "protocol_version": "1", "name": "Demo",
              "version": path.name.split("-")[1], "filetype": "bdist_wheel", "pyversion": "py3",
              "sha256_digest": hashlib.sha256(data).hexdigest()}
    return service.upload(UploadRequest(
        fields={k: [v] for k, v in fields.items()}, content=io.BytesIO(data),
        content_filename=path.name, credentials=Credentials(token))).serial


def test_a_teams_role_lets_its_members_upload_in_as_many_statements(
        index: Index, tmp_path: Path, readmes: ReadmeSandbox) -> None:
    tokens = TokenService(index.db)
    token = {name: tokens.create(name, now=START) for name in ("bob", "carol", "dave")}
    service = UploadService(index.db, LocalBlobStore(tmp_path / "files"), tokens, Limits(),
                            render=readmes, on_commit=lambda _w: None, clock=lambda: START)
    index.teams.create("core", actor="admin")
    index.teams.add_member("core", "carol", actor="admin")
    for name in ("bob", "carol", "dave"):  # each token's first use recorded (token.used)
        with pytest.raises(Forbidden, match=f"The user '{name}' isn't allowed to upload"):
            _upload(service, make_wheel(tmp_path / name, "demo", "0.1"), token[name])

    index.teams.grant("core", "demo", "Maintainer", actor="admin")
    index.roles.set_role("demo", "bob", "Maintainer", by=ADMIN)
    with _statements(index) as direct:
        assert _upload(service, make_wheel(tmp_path / "bob", "demo", "1.0"), token["bob"])
    with _statements(index) as through_team:
        assert _upload(service, make_wheel(tmp_path / "carol", "demo", "2.0"), token["carol"])
    assert [statement.split()[0] for statement in through_team] == [
        statement.split()[0] for statement in direct]
    with pytest.raises(Forbidden, match="The user 'dave' isn't allowed to upload"):
        _upload(service, make_wheel(tmp_path / "dave", "demo", "3.0"), token["dave"])
    # A token limited to the project is made for a team's member as for a Maintainer.
    assert tokens.create("carol", now=START, project="demo")
    with pytest.raises(Forbidden, match="'dave' may not upload to project 'demo'"):
        tokens.create("dave", now=START, project="demo")

    index.teams.remove_member("core", "carol", actor="admin")
    with pytest.raises(Forbidden, match="The user 'carol' isn't allowed to upload"):
        _upload(service, make_wheel(tmp_path / "carol3", "demo", "3.0"), token["carol"])
