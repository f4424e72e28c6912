"""Roles on the web: an Owner invites a user by mail, the invitee accepts on their projects
page and then uploads; a Maintainer may not invite; the last Owner cannot leave; only Owners
see the project's security history."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.builders import make_wheel
from tests.databases import BACKENDS
from tests.functional.browsing import verified_member
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
