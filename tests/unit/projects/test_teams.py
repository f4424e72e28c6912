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
    assert index.teams.grant("core", "Demo", "maintainer", by=ADMIN) == before + 1
    assert index.teams.grant("core", "demo", "Maintainer", by=ADMIN) is None
    assert index.teams.grant("core", "demo", "Owner", by=ADMIN) == before + 2
    assert index.holders() == {("alice", "Owner", False), ("core", "Owner", True)}
    assert index.teams.revoke("core", "demo", by=ADMIN) == before + 3
    with pytest.raises(NotFound, match="team 'core' holds no role in project 'Demo'"):
        index.teams.revoke("core", "demo", by=ADMIN)
    assert index.journal(before) == [
        ("demo", "add Maintainer team core", "admin"),
        ("demo", "change Maintainer team core to Owner", "admin"),
        ("demo", "remove Owner team core", "admin")]
    assert [event[0] for event in index.events()[1:]] == [
        "role.added", "role.changed", "role.removed"]
    assert index.events()[2] == ("role.changed", None, "demo", {
        "team": "core", "role": "Owner", "from": "Maintainer", "by": "admin"})
    assert [w.serial for w in index.written] == [before + 1, before + 2, before + 3]


def _teams(index: Index) -> None:
    """core (alice, bob) and outside (carol, dave); bob is a Maintainer of demo."""
    for team, members in (("core", ("alice", "bob")), ("outside", ("carol", "dave"))):
        index.teams.create(team, actor="admin")
        for member in members:
            index.teams.add_member(team, member, actor="admin")
    index.roles.set_role("demo", "bob", "Maintainer", by=ADMIN)


def test_an_owner_gives_a_role_only_to_a_team_they_are_a_member_of(index: Index) -> None:
    _teams(index)
    alice = index.people["alice"]
    before = index.serial()
    assert index.teams.grant("core", "demo", "Maintainer", by=alice) == before + 1
    with pytest.raises(Forbidden, match="'alice' may not make team 'outside' Maintainer of "
                                        "project 'Demo': an Owner gives a role only to a team "
                                        "they are a member of"):
        index.teams.grant("outside", "demo", "Maintainer", by=alice)
    assert index.teams.grant("core", "demo", "Owner", by=alice) == before + 2
    assert index.serial() == before + 2
    assert index.journal(before) == [("demo", "add Maintainer team core", "alice"),
                                     ("demo", "change Maintainer team core to Owner", "alice")]
    assert index.events()[-1] == ("role.changed", None, "demo", {
        "team": "core", "role": "Owner", "from": "Maintainer", "by": "alice"})
    assert ("outside", "Maintainer", True) not in index.holders()


def test_an_owner_weakens_or_removes_any_teams_role_but_strengthens_only_their_own(
        index: Index) -> None:
    _teams(index)
    alice = index.people["alice"]
    index.teams.grant("outside", "demo", "Maintainer", by=ADMIN)
    with pytest.raises(Forbidden, match="may not make team 'outside' Owner"):
        index.teams.grant("outside", "demo", "Owner", by=alice)
    index.teams.grant("outside", "demo", "Owner", by=ADMIN)
    assert index.teams.grant("outside", "demo", "Maintainer", by=alice) is not None
    assert index.teams.grant("outside", "demo", "Maintainer", by=alice) is None
    index.teams.revoke("outside", "demo", by=alice)
    assert index.holders() == {("alice", "Owner", False), ("bob", "Maintainer", False)}
    assert index.journal()[-1] == ("demo", "remove Maintainer team outside", "alice")


def test_only_owners_change_teams_roles_and_others_learn_nothing_of_teams(
        index: Index) -> None:
    _teams(index)
    index.teams.grant("core", "demo", "Maintainer", by=ADMIN)
    before = index.serial()
    bob, carol = index.people["bob"], index.people["carol"]
    for by, team in ((bob, "core"), (carol, "outside"), (bob, "no-such-team")):
        with pytest.raises(Forbidden, match="may not change teams' roles in project 'Demo': "
                                            "only its Owners may"):
            index.teams.grant(team, "demo", "Owner", by=by)
        with pytest.raises(Forbidden, match="only its Owners may"):
            index.teams.revoke(team, "demo", by=by)
    assert index.serial() == before
    with pytest.raises(NotFound, match="no team named 'no-such-team'"):
        index.teams.grant("no-such-team", "demo", "Owner", by=index.people["alice"])


def test_a_member_of_an_owner_team_acts_as_an_owner_but_is_never_the_last(
        index: Index) -> None:
    _teams(index)
    index.teams.grant("outside", "demo", "Owner", by=ADMIN)
    carol = index.people["carol"]
    assert index.roles.acting_role("DEMO", by=carol) == "Owner"
    index.teams.grant("outside", "demo", "Maintainer", by=carol)
    assert index.roles.acting_role("demo", by=carol) == "Maintainer"
    with pytest.raises(Forbidden, match="only its Owners may"):
        index.teams.grant("outside", "demo", "Owner", by=carol)
    with pytest.raises(Conflict, match="a team's role does not count"):
        index.roles.remove_role("demo", "alice", by=index.people["alice"])


def test_roles_name_each_teams_members_and_a_user_sees_their_teams(index: Index) -> None:
    _teams(index)
    index.teams.create("empty", actor="admin")
    index.teams.grant("outside", "demo", "Maintainer", by=ADMIN)
    index.teams.grant("empty", "demo", "Owner", by=ADMIN)
    holders = index.roles.roles("demo")
    assert [(h.name, h.role, h.team, h.members) for h in holders] == [
        ("alice", "Owner", False, ()), ("bob", "Maintainer", False, ()),
        ("empty", "Owner", True, ()), ("outside", "Maintainer", True, ("carol", "dave"))]
    alice, dave = index.people["alice"].user_id, index.people["dave"].user_id
    assert index.teams.teams(member_id=alice) == [TeamSummary("core", ("alice", "bob"), ())]
    assert index.teams.teams(member_id=dave) == [
        TeamSummary("outside", ("carol", "dave"), (("Demo", "Maintainer"),))]
    assert [t.name for t in index.teams.teams()] == ["core", "empty", "outside"]
    assert index.roles.acting_role("demo", by=index.people["dave"]) == "Maintainer"
    assert index.roles.acting_role("demo", by=ADMIN) == "Owner"
    with pytest.raises(NotFound, match="no project named 'ghost'"):
        index.roles.acting_role("ghost", by=index.people["dave"])


def test_deleting_a_team_removes_its_roles_and_members(index: Index) -> None:
    index.teams.create("core", actor="admin")
    index.teams.add_member("core", "bob", actor="admin")
    index.teams.grant("core", "demo", "Owner", by=ADMIN)
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

    index.teams.grant("core", "demo", "Maintainer", by=ADMIN)
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
