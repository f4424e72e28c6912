"""Critical projects on a live index: downloads through the server, cold and warm, are counted
and stored (at the latest when it stops); the daily ranking makes the most downloaded project
critical and mails its maintainers at their verified addresses; under the critical policy,
after the grace, their uploads to it need a second factor."""

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
from tests.smtp import SmtpServer, running

pytestmark = pytest.mark.functional
PASSWORD = "correct horse battery staple 42"


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with running() as server:
        yield server


@pytest.fixture(params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path: Path, smtp: SmtpServer
          ) -> Iterator[LiveIndex]:
    env = {"STRONGROOM_SMTP_URL": smtp.url, "STRONGROOM_CRITICAL_GRACE": "14"}
    with running_index(request.param, tmp_path, extra_env=env, access_log=False) as live:
        yield live


def test_downloads_make_a_project_critical_and_its_maintainers_are_told(
        index: LiveIndex, smtp: SmtpServer, tmp_path: Path) -> None:
    verified_member(index.url, smtp, "uma", PASSWORD).close()
    dist = tmp_path / "dist"
    dist.mkdir()
    popular, quiet = make_wheel(dist, "popular", "1.0"), make_wheel(dist, "quiet", "1.0")
    twine_upload(index.url, index.token("uma"), [popular, quiet], dist)
    page = httpx.get(f"{index.url}/simple/popular/",
                     headers={"Accept": "application/vnd.pypi.simple.v1+json"}).json()
    found = httpx.URL(f"{index.url}/simple/popular/").join(page["files"][0]["url"])
    url = str(found.copy_with(fragment=None))
    with httpx.Client() as client:
        statuses = [client.get(url).status_code for _ in range(5)]  # cold, then warm
        assert client.head(url).status_code == 200  # not a download
        assert client.get(url + ".metadata").status_code == 200  # nor this
    assert statuses == [200] * 5
    index.stop()  # the last flush
    listed = index.cli("admin", "critical", "rank", "--share", "50%", "--dry-run")
    assert listed.stdout.splitlines() == ["popular\t5\tnew"]
    before = len(smtp.messages)
    ranked = index.cli("admin", "critical", "rank", "--share", "50%")
    assert "1 became critical; 1 mail(s) sent" in ranked.stderr
    mail = smtp.wait_for(before + 1)[-1]
    assert mail["To"] == "uma@example.org"
    assert mail["Subject"] == "popular is now a critical project"
    assert "Within 14 days" in mail.get_content()
    assert "/account/totp" in mail.get_content()
    state = index.cli("admin", "critical", "list").stdout
    assert state.startswith("popular\tcritical\t")
    again = index.cli("admin", "critical", "rank", "--share", "50%")
    assert "0 became critical; 0 mail(s) sent" in again.stderr
    # Under the critical policy, once the grace is over, uma's uploads to it need a second
    # factor; her other project is left be.
    index.extra_env.update({"STRONGROOM_TWO_FACTOR_REQUIRED": "critical",
                            "STRONGROOM_CRITICAL_GRACE": "0.00001"})  # under a second
    index.start()
    token = index.token("uma")
    refused = twine_upload(index.url, token, [make_wheel(dist, "popular", "1.1")], dist,
                           check=False)
    assert refused.returncode != 0
    assert "'popular' is a critical project" in refused.stdout + refused.stderr
    assert "/account/totp" in refused.stdout + refused.stderr
    twine_upload(index.url, token, [make_wheel(dist, "quiet", "1.1")], dist)
