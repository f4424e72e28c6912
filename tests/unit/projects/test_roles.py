"""Changing, removing and transferring roles: only Owners (or the administrator) may, anyone
may leave, a user always stays Owner, and each change is journaled and in the history."""

from __future__ import annotations

import pytest

from strongroom.db import journal
from strongroom.errors import Conflict, Forbidden, InvalidInput, NotFound
from tests.unit.projects.conftest import ADMIN, Index


def _maintainer(index: Index, name: str) -> None:
    index.roles.set_role("demo", name, "Maintainer", by=ADMIN)


def test_a_change_is_journaled_recorded_and_announced(index: Index) -> None:
    before = index.serial()
    assert index.roles.set_role("demo", "BOB", "maintainer", by=ADMIN) == before + 1
    assert index.roles.set_role("Demo", "bob", "Owner", by=index.people["alice"]) == before + 2
    assert index.roles.set_role("demo", "bob", "Owner", by=index.people["alice"]) is None

    assert index.holders() == {("alice", "Owner", False), ("bob", "Owner", False)}
    assert index.journal(before) == [("demo", "add Maintainer bob", "admin"),
                                     ("demo", "change Maintainer bob to Owner", "alice")]
    assert index.events() == [
        ("role.added", "bob", "demo", {"role": "Maintainer", "by": "admin"}),
        ("role.changed", "bob", "demo", {"role": "Owner", "from": "Maintainer", "by": "alice"})]
    assert index.written == [journal.Written(before + 1, {"demo": frozenset()}),
                             journal.Written(before + 2, {"demo": frozenset()})]
    with index.db.read() as session:
        assert journal.verify_chain(session) is None


def test_only_an_owner_changes_roles_and_nothing_changes_when_refused(index: Index) -> None:
    _maintainer(index, "bob")
    before = index.serial()
    for who, username in (("bob", "bob"), ("bob", "alice"), ("carol", "bob")):
        with pytest.raises(Forbidden, match=f"'{who}' may not change roles in project 'Demo'"):
            index.roles.set_role("demo", username, "Owner", by=index.people[who])
    with pytest.raises(Forbidden, match="may not remove roles"):
        index.roles.remove_role("demo", "alice", by=index.people["bob"])
    with pytest.raises(Forbidden, match="may not transfer ownership"):
        index.roles.transfer("demo", "bob", by=index.people["bob"])
    assert index.serial() == before
    assert index.holders() == {("alice", "Owner", False), ("bob", "Maintainer", False)}


def test_an_owner_invites_rather_than_adds(index: Index) -> None:
    with pytest.raises(Forbidden, match="'carol' holds no role in project 'Demo': invite them"):
        index.roles.set_role("demo", "carol", "Maintainer", by=index.people["alice"])
    with pytest.raises(Forbidden, match="invite them"):
        index.roles.transfer("demo", "carol", by=index.people["alice"])
    assert index.holders() == {("alice", "Owner", False)}


def test_the_last_owner_cannot_go_by_change_removal_or_transfer(index: Index) -> None:
    _maintainer(index, "bob")
    before = index.serial()
    alice = index.people["alice"]
    message = "'alice' is the only Owner of project 'Demo': a project always keeps a user"
    with pytest.raises(Conflict, match=message) as refused:
        index.roles.set_role("demo", "alice", "Maintainer", by=alice)
    assert refused.value.project == "Demo"
    with pytest.raises(Conflict, match=message):
        index.roles.remove_role("demo", "alice", by=alice)
    with pytest.raises(Conflict, match=message):
        index.roles.remove_role("demo", "alice", by=ADMIN)
    with pytest.raises(InvalidInput, match=r"'alice' holds no role .* other than the new"):
        index.roles.transfer("demo", "alice", by=alice, step_down=True)
    assert index.serial() == before

    index.roles.set_role("demo", "bob", "Owner", by=alice)
    index.roles.set_role("demo", "alice", "Maintainer", by=alice)  # another Owner remains
    assert index.holders() == {("alice", "Maintainer", False), ("bob", "Owner", False)}


def test_a_team_is_never_the_last_owner(index: Index) -> None:
    index.teams.create("core", actor="admin")
    index.teams.add_member("core", "carol", actor="admin")
    index.teams.grant("core", "demo", "Owner", by=ADMIN)
    with pytest.raises(Conflict, match="a team's role does not count"):
        index.roles.remove_role("demo", "alice", by=index.people["alice"])
    with pytest.raises(Conflict, match="only Owner"):
        index.roles.remove_role("demo", "alice", by=index.people["carol"])
    assert ("alice", "Owner", False) in index.holders()


def test_a_maintainer_may_leave_but_not_remove_others(index: Index) -> None:
    _maintainer(index, "bob")
    _maintainer(index, "carol")
    with pytest.raises(Forbidden):
        index.roles.remove_role("demo", "carol", by=index.people["bob"])
    before = index.serial()
    assert index.roles.remove_role("demo", "bob", by=index.people["bob"]) == before + 1
    assert index.journal(before) == [("demo", "remove Maintainer bob", "bob")]
    assert index.events()[-1] == ("role.removed", "bob", "demo",
                                  {"role": "Maintainer", "by": "bob"})
    with pytest.raises(NotFound, match="'bob' holds no role in project 'Demo'"):
        index.roles.remove_role("demo", "bob", by=index.people["alice"])
    assert index.holders() == {("alice", "Owner", False), ("carol", "Maintainer", False)}


def test_transfer_promotes_and_steps_down_in_one_transaction(index: Index) -> None:
    _maintainer(index, "bob")
    before = index.serial()
    assert index.roles.transfer("demo", "bob", by=index.people["alice"],
                                step_down=True) == before + 2
    assert index.holders() == {("bob", "Owner", False)}
    assert index.journal(before) == [("demo", "change Maintainer bob to Owner", "alice"),
                                     ("demo", "remove Owner alice", "alice")]
    assert [(*event[:2], event[3]) for event in index.events()[-2:]] == [
        ("role.changed", "bob", {"role": "Owner", "from": "Maintainer", "by": "alice"}),
        ("role.removed", "alice", {"role": "Owner", "by": "alice",
                                   "reason": "stepped down"})]
    assert index.written[-1] == journal.Written(before + 2, {"demo": frozenset()})


def test_the_administrator_transfers_to_anyone_but_cannot_step_down(index: Index) -> None:
    with pytest.raises(InvalidInput, match="'admin' holds no role"):
        index.roles.transfer("demo", "carol", by=ADMIN, step_down=True)
    assert index.holders() == {("alice", "Owner", False)}
    index.roles.transfer("demo", "carol", by=ADMIN)
    assert index.holders() == {("alice", "Owner", False), ("carol", "Owner", False)}
    assert index.roles.transfer("demo", "carol", by=ADMIN) is None


@pytest.mark.parametrize(("project", "user", "role", "error"), [
    ("ghost", "bob", "Owner", NotFound),
    ("demo", "nobody", "Owner", NotFound),
    ("demo", "bob", "Admin", InvalidInput),
])
def test_unknown_projects_users_and_roles(index: Index, project: str, user: str, role: str,
                                          error: type[Exception]) -> None:
    with pytest.raises(error):
        index.roles.set_role(project, user, role, by=ADMIN)
