"""Trusted publishers on the web: an Owner adds one on the project's page and a CI run then
mints and uploads with it; another user may not add one; a user registers a pending publisher
on their projects page, which makes its project at first use."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.builders import make_wheel
from tests.databases import BACKENDS
from tests.functional.browsing import verified_member
from tests.functional.clients import twine_upload
from tests.functional.server import LiveIndex, running_index
from tests.oidc import Issuer, running_issuer
from tests.smtp import SmtpServer, running

pytestmark = pytest.mark.functional
PASSWORD = "correct horse battery staple 42"


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with running() as server:
        yield server


@pytest.fixture(scope="module")
def github() -> Iterator[Issuer]:
    with running_issuer() as issuer:
        yield issuer


@pytest.fixture(scope="module", params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          smtp: SmtpServer, github: Issuer) -> Iterator[LiveIndex]:
    root = tmp_path_factory.mktemp(f"publishers-web-{request.param}")
    env = {"STRONGROOM_SMTP_URL": smtp.url, "STRONGROOM_ACCOUNT_MAIL_RATE": "1000/hour",
           "STRONGROOM_OIDC_GITHUB_ISSUERS": github.url}
    with running_index(request.param, root, extra_env=env) as live:
        yield live


def minted(index: LiveIndex, github: Issuer, repository: str) -> str:
    token = github.sign(github.github(repository=repository, workflow="release.yml",
                                      audience="127.0.0.1"))
    response = httpx.post(f"{index.url}/_/oidc/mint-token", json={"token": token})
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def test_owners_add_publishers_and_users_register_pending_ones(
        index: LiveIndex, smtp: SmtpServer, github: Issuer, tmp_path: Path) -> None:
    owner = verified_member(index.url, smtp, "petra", PASSWORD)
    other = verified_member(index.url, smtp, "quinn", PASSWORD)
    try:
        dist = tmp_path / "dist"
        dist.mkdir()
        twine_upload(index.url, index.token("petra"), [make_wheel(dist, "webpub", "1.0")], dist)
        page = owner.get("/account/projects/webpub")
        assert 'id="add-publisher"' in page.text
        fields = {"action": "add", "kind": "GitHub", "repository": "petra/webpub",
                  "workflow": "release.yml"}
        refused = other.post("/account/projects/webpub/publishers", fields)
        assert refused.status_code == 403
        bad = owner.post("/account/projects/webpub/publishers", fields | {"workflow": "x"})
        assert bad.status_code == 400
        assert "workflow" in bad.text
        added = owner.post("/account/projects/webpub/publishers", fields)
        assert "GitHub publisher petra/webpub (release.yml) may now publish" in added.text
        assert "petra/webpub" in owner.get("/account/projects/webpub").text
        twine_upload(index.url, minted(index, github, "petra/webpub"),
                     [make_wheel(dist, "webpub", "1.1")], dist)

        registered = other.post("/account/publishers/pending", {
            "action": "add", "project": "quinns-new", "kind": "GitHub",
            "repository": "quinn/new", "workflow": "release.yml"})
        assert "may make the project quinns-new" in registered.text
        listing = other.get("/account/projects").text.split('id="pending-publishers"')[1]
        assert "quinns-new" in listing
        twine_upload(index.url, minted(index, github, "quinn/new"),
                     [make_wheel(dist, "quinns-new", "0.1")], dist)
        assert "quinns-new" in other.get("/account/projects").text.split('id="projects"')[1]
    finally:
        owner.close()
        other.close()
