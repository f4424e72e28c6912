"""Invitations to a role: what a mail needs, accepted, declined, expired, revoked; one at a time,
never to someone who holds a role, and only from an Owner."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import update

from strongroom.accounts import AccountAdmin
from strongroom.accounts.models import Email
from strongroom.db import journal
from strongroom.errors import Conflict, Forbidden, NotFound
from strongroom.projects import INVITATION_LIFETIME, Invitation, leave_projects
from tests.unit.projects.conftest import ADMIN, START, Index


def _invite(index: Index, username: str = "bob", role: str = "Maintainer") -> Invitation:
    return index.invitations.invite("demo", username, role, by=index.people["alice"])


def test_invite_returns_what_the_mail_needs(index: Index) -> None:
    sent = _invite(index)
    assert sent == Invitation(project="Demo", username="bob", role="Maintainer",
                              invited_by="alice", created=START,
                              expires=START + dt.timedelta(days=7), email=None)
    assert dt.timedelta(days=7) == INVITATION_LIFETIME
    with index.db.write() as session:
        session.execute(update(Email).where(Email.normalized == "carol@example.org")
                        .values(verified=True))
    assert _invite(index, "Carol", "owner").email == "carol@example.org"
    assert index.events() == [
        ("role.invited", "bob", "demo", {"role": "Maintainer", "by": "alice",
                                         "expires": "2026-12-08T09:00:00.000000Z"}),
        ("role.invited", "carol", "demo", {"role": "Owner", "by": "alice",
                                           "expires": "2026-12-08T09:00:00.000000Z"})]
    assert index.invitations.invitations(username="bob") == [sent]
    assert [i.username for i in index.invitations.invitations(project="DEMO")] == ["bob",
                                                                                   "carol"]
    assert index.holders() == {("alice", "Owner", False)}  # nothing until accepted


def test_accepting_gives_the_role_journaled_by_the_invitee(index: Index) -> None:
    _invite(index)
    before = index.serial()
    index.now += dt.timedelta(days=6)
    assert index.invitations.accept("demo", by=index.people["bob"]) == before + 1
    assert index.holders() == {("alice", "Owner", False), ("bob", "Maintainer", False)}
    assert index.journal(before) == [("demo", "add Maintainer bob", "bob")]
    assert index.events()[-1] == ("role.added", "bob", "demo", {
        "role": "Maintainer", "by": "bob", "invited_by": "alice"})
    assert index.written == [journal.Written(before + 1, {"demo": frozenset()})]
    assert index.invitations.invitations() == []
    with pytest.raises(NotFound, match="'bob' has no invitation to project 'Demo'"):
        index.invitations.accept("demo", by=index.people["bob"])


def test_declining_leaves_no_role_and_no_invitation(index: Index) -> None:
    _invite(index)
    before = index.serial()
    index.invitations.decline("demo", by=index.people["bob"])
    assert index.serial() == before
    assert index.invitations.invitations() == []
    assert index.events()[-1] == ("role.invitation.declined", "bob", "demo",
                                  {"role": "Maintainer", "by": "bob"})
    assert index.holders() == {("alice", "Owner", False)}


def test_an_expired_invitation_cannot_be_accepted_and_may_be_renewed(index: Index) -> None:
    _invite(index)
    index.now += dt.timedelta(days=7)
    with pytest.raises(Conflict, match=r"expired at 2026-12-08T09:00:00\.000000Z: ask an Owner"):
        index.invitations.accept("demo", by=index.people["bob"])
    [stale] = index.invitations.invitations()
    assert stale.expired(index.now)
    assert not stale.expired(index.now - dt.timedelta(seconds=1))
    renewed = _invite(index, role="Owner")
    assert (renewed.role, renewed.expires) == ("Owner", index.now + dt.timedelta(days=7))
    index.invitations.accept("demo", by=index.people["bob"])
    assert ("bob", "Owner", False) in index.holders()


def test_an_owner_revokes_an_invitation(index: Index) -> None:
    _invite(index)
    with pytest.raises(Forbidden, match="'bob' may not revoke invitations"):
        index.invitations.revoke("demo", "bob", by=index.people["bob"])
    index.invitations.revoke("demo", "bob", by=index.people["alice"])
    assert index.events()[-1] == ("role.invitation.revoked", "bob", "demo",
                                  {"role": "Maintainer", "by": "alice"})
    with pytest.raises(NotFound):
        index.invitations.accept("demo", by=index.people["bob"])
    with pytest.raises(NotFound, match="'bob' has no invitation"):
        index.invitations.revoke("demo", "bob", by=ADMIN)


def test_one_open_invitation_and_none_to_a_member(index: Index) -> None:
    _invite(index)
    with pytest.raises(Conflict, match=r"'bob' is already invited to project 'Demo' as "
                                       r"Maintainer until 2026-12-08T09:00:00\.000000Z"):
        _invite(index, role="Owner")
    with pytest.raises(Conflict, match="'alice' is already Owner of project 'Demo'"):
        _invite(index, "alice")
    assert [i.role for i in index.invitations.invitations()] == ["Maintainer"]


def test_only_an_owner_invites_and_only_the_invitee_answers(index: Index) -> None:
    index.roles.set_role("demo", "bob", "Maintainer", by=ADMIN)
    for who in ("bob", "carol"):
        with pytest.raises(Forbidden, match=f"'{who}' may not invite users in project 'Demo'"):
            index.invitations.invite("demo", "dave", "Maintainer", by=index.people[who])
    index.invitations.invite("demo", "dave", "Maintainer", by=ADMIN)
    for who in ("carol", "alice"):
        with pytest.raises(NotFound):
            index.invitations.accept("demo", by=index.people[who])
        with pytest.raises(NotFound):
            index.invitations.decline("demo", by=index.people[who])
    with pytest.raises(NotFound):
        index.invitations.accept("demo", by=ADMIN)
    assert [i.invited_by for i in index.invitations.invitations(username="dave")] == ["admin"]


def test_a_member_of_an_owner_team_invites(index: Index) -> None:
    index.teams.create("core", actor="admin")
    index.teams.add_member("core", "carol", actor="admin")
    index.teams.grant("core", "demo", "Maintainer", by=ADMIN)
    with pytest.raises(Forbidden):
        index.invitations.invite("demo", "dave", "Maintainer", by=index.people["carol"])
    index.teams.grant("core", "demo", "Owner", by=ADMIN)
    assert index.invitations.invite("demo", "dave", "Maintainer",
                                    by=index.people["carol"]).invited_by == "carol"


def test_a_deleted_account_takes_its_invitations_along(index: Index) -> None:
    _invite(index)
    deleted = AccountAdmin(index.db, dependents=[leave_projects]).delete(
        "bob", now=index.now, actor="admin")
    assert "1 invitation(s) deleted" in deleted.released
    assert index.invitations.invitations() == []


def test_an_administrators_direct_role_ends_the_invitation(index: Index) -> None:
    _invite(index)
    index.roles.set_role("demo", "bob", "Owner", by=ADMIN)
    assert index.invitations.invitations() == []
    assert ("bob", "Owner", False) in index.holders()
