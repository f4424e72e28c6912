"""Roles on the web: an Owner invites a user by mail, the invitee accepts on their projects
page and then uploads; a Maintainer may not invite; the last Owner cannot leave; only Owners
see the project's security history and download it. Teams: an Owner gives a team they are in
a role and its members upload, never a team they are not in; a Maintainer changes no team's
role; removing the role stops the uploads; the teams page shows a member their teams."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import make_wheel
from tests.databases import BACKENDS
from tests.functional.browsing import Visitor, verified_member
from tests.functional.clients import twine_upload
from tests.functional.server import LiveIndex, running_index
from tests.smtp import SmtpServer, running

pytestmark = pytest.mark.functional
PASSWORD = "correct horse battery staple 42"


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with running() as server:
        yield server


@pytest.fixture(scope="module", params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          smtp: SmtpServer) -> Iterator[LiveIndex]:
    root = tmp_path_factory.mktemp(f"roles-{request.param}")
    env = {"STRONGROOM_SMTP_URL": smtp.url, "STRONGROOM_ACCOUNT_MAIL_RATE": "1000/hour"}
    with running_index(request.param, root, extra_env=env) as live:
        yield live


def test_an_invited_user_accepts_and_uploads(index: LiveIndex, smtp: SmtpServer,
                                             tmp_path: Path) -> None:
    owner, invitee = (verified_member(index.url, smtp, "rita", PASSWORD),
                       verified_member(index.url, smtp, "sam", PASSWORD))
    try:
        dist = tmp_path / "dist"
        dist.mkdir()
        twine_upload(index.url, index.token("rita"), [make_wheel(dist, "shared", "1.0")], dist)
        refused = twine_upload(index.url, index.token("sam"),
                               [make_wheel(dist, "shared", "1.1")], dist, check=False)
        assert refused.returncode != 0
        page = owner.get("/account/projects/shared")
        assert "Invite someone" in page.text
        before = len(smtp.messages)
        invited = owner.post("/account/projects/shared", {
            "action": "invite", "username": "sam", "role": "Maintainer"})
        assert "sam is invited as Maintainer" in invited.text
        mail = smtp.wait_for(before + 1)[-1]
        assert mail["To"] == "sam@example.org"
        assert "/account/projects" in mail.get_content()
        waiting = invitee.get("/account/projects")
        assert "shared" in waiting.text.split('id="invitations"')[1]
        accepted = invitee.post("/account/projects", {"project": "shared", "action": "accept"})
        assert accepted.status_code == 200
        assert "<td>Maintainer</td>" in accepted.text.split('id="projects"')[1]
        twine_upload(index.url, index.token("sam"), [make_wheel(dist, "shared", "1.2")], dist)
        # A Maintainer may not invite, nor see the project's history.
        as_maintainer = invitee.get("/account/projects/shared")
        assert "Invite someone" not in as_maintainer.text
        not_allowed = invitee.post("/account/projects/shared", {
            "action": "invite", "username": "rita", "role": "Owner"})
        assert not_allowed.status_code in (403, 409)
        # The last Owner cannot leave; the history shows the role given.
        last = owner.post("/account/projects/shared", {"action": "remove", "username": "rita"})
        assert last.status_code == 409
        assert "only Owner" in last.text
        history = owner.get("/account/projects/shared").text.split('id="history"')[1]
        assert "role.added" in history
        assert "role.invited" in history
    finally:
        owner.close()
        invitee.close()


def _roles_table(page: str) -> str:
    return page.split('id="roles"')[1].split("</table>", maxsplit=1)[0]


def test_an_owner_gives_their_team_a_role_and_takes_it_away(
        index: LiveIndex, smtp: SmtpServer, tmp_path: Path) -> None:
    owner, member, maintainer, stranger = (
        verified_member(index.url, smtp, name, PASSWORD)
        for name in ("tess", "uma", "vic", "walt"))
    try:
        dist = tmp_path / "dist"
        dist.mkdir()
        twine_upload(index.url, index.token("tess"), [make_wheel(dist, "teamwork", "1.0")], dist)
        for team, members in (("crew", ("tess", "uma")), ("strangers", ("walt",))):
            index.cli("admin", "team", "create", team)
            for name in members:
                index.cli("admin", "team", "add-member", team, name)
        index.cli("admin", "project", "role", "set", "teamwork", "vic", "Maintainer")
        uma_token = index.token("uma")
        refused = twine_upload(index.url, uma_token, [make_wheel(dist, "teamwork", "1.1")],
                               dist, check=False)
        assert refused.returncode != 0

        page = owner.get("/account/projects/teamwork")
        assert "Give a team a role" in page.text
        assert '<option value="crew">' in page.text  # the teams she may give a role to
        assert '<option value="strangers">' not in page.text
        granted = owner.post("/account/projects/teamwork", {
            "action": "grant_team", "team": "crew", "role": "Maintainer"})
        assert granted.status_code == 200
        assert "Team crew is now Maintainer." in granted.text
        assert "team crew: tess, uma</td><td>Maintainer</td>" in _roles_table(granted.text)
        twine_upload(index.url, uma_token, [make_wheel(dist, "teamwork", "1.1")], dist)

        # A team she is not a member of: refused, and nothing changes.
        foreign = owner.post("/account/projects/teamwork", {
            "action": "grant_team", "team": "strangers", "role": "Maintainer"})
        assert foreign.status_code == 403
        assert "an Owner gives a role only to a team they are a member of" in foreign.text
        assert "strangers" not in _roles_table(foreign.text)
        unknown = owner.post("/account/projects/teamwork", {
            "action": "grant_team", "team": "no-such-crew", "role": "Owner"})
        assert unknown.status_code == 404
        assert "no team named" in unknown.text

        _a_maintainer_may_not_change_it(maintainer)
        _forged_forms_change_nothing(owner)
        _the_teams_pages_show_their_own(member, stranger)

        removed = owner.post("/account/projects/teamwork", {
            "action": "revoke_team", "team": "crew"})
        assert "Team crew no longer has a role." in removed.text
        assert "crew" not in _roles_table(removed.text)
        gone = twine_upload(index.url, uma_token, [make_wheel(dist, "teamwork", "1.2")], dist,
                            check=False)
        assert gone.returncode != 0
        assert "none yet" in member.get("/account/teams").text
        history = owner.get("/account/projects/teamwork").text.split('id="history"')[1]
        assert history.count("team: crew") == 2  # role.added and role.removed
    finally:
        for visitor in (owner, member, maintainer, stranger):
            visitor.close()


def _a_maintainer_may_not_change_it(maintainer: Visitor) -> None:
    """The Maintainer of teamwork sees team crew's role but may not change it."""
    page = maintainer.get("/account/projects/teamwork")
    assert "team crew: tess, uma" in _roles_table(page.text)
    assert "Give a team a role" not in page.text
    for form in ({"action": "grant_team", "team": "crew", "role": "Owner"},
                 {"action": "revoke_team", "team": "crew"}):
        denied = maintainer.post("/account/projects/teamwork", form)
        assert denied.status_code == 403
        assert "only its Owners may" in denied.text


def _forged_forms_change_nothing(owner: Visitor) -> None:
    """The team forms need their CSRF secret and this site's origin."""
    owner.get("/account/projects/teamwork")
    forged = owner.post("/account/projects/teamwork", {
        "action": "grant_team", "team": "crew", "role": "Owner"}, csrf=False)
    assert forged.status_code == 403
    cross = owner.post("/account/projects/teamwork", {"action": "revoke_team", "team": "crew"},
                       headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403
    assert "crew: tess, uma</td><td>Maintainer</td>" in _roles_table(
        owner.get("/account/projects/teamwork").text)


def _the_teams_pages_show_their_own(member: Visitor, stranger: Visitor) -> None:
    """Team crew's member sees it, its members and its project; walt sees only his team."""
    teams = member.get("/account/teams")
    assert teams.status_code == 200
    row = teams.text.split('id="teams"')[1]
    assert "<td>crew</td>" in row
    assert "<td>tess, uma</td>" in row
    assert '<a href="/account/projects/teamwork">teamwork</a> (Maintainer)' in row
    assert "strangers" not in row
    theirs = stranger.get("/account/teams").text.split('id="teams"')[1]
    assert "<td>strangers</td>" in theirs
    assert "crew" not in theirs
    assert 'href="/account/teams"' in member.get("/account/").text


def test_an_owner_downloads_the_projects_history_alone_without_addresses(
        index: LiveIndex, smtp: SmtpServer, tmp_path: Path) -> None:
    owner, maintainer = (verified_member(index.url, smtp, name, PASSWORD)
                         for name in ("xena", "yuri"))
    anonymous = Visitor(index.url)
    try:
        dist = tmp_path / "dist"
        dist.mkdir()
        twine_upload(index.url, index.token("xena"), [make_wheel(dist, "ledger", "1.0")], dist)
        index.cli("admin", "project", "create", "elsewhere", "--owner", "xena")
        for project in ("ledger", "elsewhere"):
            index.cli("admin", "project", "role", "set", project, "yuri", "Maintainer")
        # A token the Maintainer makes for the project is in its history, from her address.
        maintainer.client.headers["User-Agent"] = "yuri-laptop/1.0"
        maintainer.get("/account/tokens/new")
        made = maintainer.post("/account/tokens/new", {
            "description": "ci", "project": "ledger", "expires": "30"})
        assert made.status_code == 200, made.text

        page = owner.get("/account/projects/ledger")
        assert 'href="/account/projects/ledger/history.jsonl"' in page.text
        download = owner.get("/account/projects/Ledger/history.jsonl")
        assert download.status_code == 200
        assert download.headers["content-type"] == "application/x-ndjson"
        assert download.headers["content-disposition"] == (
            'attachment; filename="ledger-security-history.jsonl"')
        assert download.headers["cache-control"] == "no-store"
        events = [json.loads(line) for line in download.text.splitlines()]
        # xena's upload, yuri's role and token; nothing of the project elsewhere.
        assert [(e["kind"], e["username"]) for e in events] == [
            ("token.used", "xena"), ("role.added", "yuri"), ("token.created", "yuri")]
        assert {e["project"] for e in events} == {"ledger"}
        assert all("address" not in e and "user_agent" not in e for e in events)
        assert "yuri-laptop" not in download.text
        assert "127.0.0.1" not in download.text

        # Refused to a Maintainer, unknown projects are not found, strangers must log in.
        assert "history.jsonl" not in maintainer.get("/account/projects/ledger").text
        denied = maintainer.get("/account/projects/ledger/history.jsonl")
        assert denied.status_code == 403
        assert "only the Owners of project" in denied.text
        assert owner.get("/account/projects/no-such/history.jsonl").status_code == 404
        to_login = anonymous.get("/account/projects/ledger/history.jsonl")
        assert to_login.status_code == 303
        assert to_login.headers["location"].startswith("/account/login?next=")
    finally:
        for visitor in (owner, maintainer, anonymous):
            visitor.close()
