"""API tokens on the live account pages: one made on the page is shown once, listed without
its secret, uploads with twine within its limits, and is revoked by its owner alone; making one
asks for a recent password and a form from this site; an expired token uploads nothing."""

from __future__ import annotations

import datetime as dt
import html
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from strongroom.accounts.models import WebSession
from strongroom.db.engine import Database
from tests.builders import make_wheel
from tests.databases import BACKENDS
from tests.functional.browsing import Visitor
from tests.functional.clients import said, twine_upload
from tests.functional.server import LiveIndex, running_index

pytestmark = pytest.mark.functional

PASSWORD = "a long enough password"  # LiveIndex.create_user's
_NEW_TOKEN = re.compile(r'<code class="secret" id="new-token">(strongroom-[^<]+)</code>')


@pytest.fixture(scope="module", params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[LiveIndex]:
    root = tmp_path_factory.mktemp(f"tokens-{request.param}")
    with running_index(request.param, root) as live:
        yield live


def signed_in(index: LiveIndex, username: str) -> Visitor:
    """A visitor signed in as ``username``, made with the index's CLI."""
    index.create_user(username)
    visitor = Visitor(index.url)
    assert visitor.login(username, PASSWORD).status_code == 303
    return visitor


def new_token(visitor: Visitor, **fields: str) -> str:
    """Make a token on the page; returns it, as the answer shows it."""
    visitor.get("/account/tokens/new")
    answer = visitor.post("/account/tokens/new", fields)
    assert answer.status_code == 200, answer.text
    found = _NEW_TOKEN.search(answer.text)
    assert found, answer.text
    return html.unescape(found.group(1))


def token_ids(page: str) -> list[str]:
    return re.findall(r'name="token_id" value="([0-9a-f]+)"', page)


def test_a_token_is_shown_once_listed_without_its_secret_and_revoked(
        index: LiveIndex, tmp_path: Path) -> None:
    visitor = signed_in(index, "tess")
    index.cli("admin", "project", "create", "tess-lib", "--owner", "tess")
    index.cli("admin", "project", "create", "tess-app", "--owner", "tess")
    form = visitor.get("/account/tokens/new")
    assert re.findall(r'<option value="(tess-[a-z]+)"', form.text) == ["tess-app", "tess-lib"]

    made = visitor.post("/account/tokens/new", {
        "description": "release job", "project": "tess-lib", "expires": "30"})
    assert made.status_code == 200, made.text
    assert made.headers["cache-control"] == "no-store"
    found = _NEW_TOKEN.search(made.text)
    assert found, made.text
    secret = found.group(1)
    assert "only for project tess-lib" in made.text
    assert "expires in 30 days" in made.text

    listing = visitor.get("/account/tokens")
    assert listing.status_code == 200
    assert "release job" in listing.text
    assert "project tess-lib" in listing.text
    assert secret.removeprefix("strongroom-") not in listing.text
    today = dt.datetime.now(dt.UTC)
    assert f"{today + dt.timedelta(days=30):%Y-%m-%d}" in listing.text
    [token_id] = token_ids(listing.text)

    twine_upload(index.url, secret, [make_wheel(tmp_path, "tess-lib", "1.0")], tmp_path)
    elsewhere = twine_upload(index.url, secret, [make_wheel(tmp_path, "tess-app", "1.0")],
                             tmp_path, check=False)
    assert elsewhere.returncode != 0
    assert "isn't allowed to upload to project 'tess-app'" in said(elsewhere)
    used = visitor.get("/account/tokens").text
    assert "<td>never</td>" not in used.split("release job")[1]  # last used is shown

    revoked = visitor.post("/account/tokens/revoke", {"token_id": token_id})
    assert revoked.status_code == 303
    assert revoked.headers["location"] == "/account/tokens?revoked=1"
    assert token_ids(visitor.get("/account/tokens").text) == []
    refused = twine_upload(index.url, secret, [make_wheel(tmp_path, "tess-lib", "2.0")],
                           tmp_path, check=False)
    assert refused.returncode != 0
    assert "Invalid API token: unknown or revoked" in said(refused)
    visitor.close()


def test_an_account_wide_read_only_token_never_uploads(index: LiveIndex, tmp_path: Path) -> None:
    visitor = signed_in(index, "rhea")
    secret = new_token(visitor, description="mirror", project="", expires="never",
                       read_only="on")
    listing = visitor.get("/account/tokens").text
    assert "all your projects" in listing
    assert "read-only" in listing
    refused = twine_upload(index.url, secret, [make_wheel(tmp_path, "rhea-lib", "1.0")],
                           tmp_path, check=False)
    assert "The given token is read-only" in said(refused)
    visitor.close()


def test_a_user_revokes_only_their_own_tokens(index: LiveIndex, tmp_path: Path) -> None:
    owner, other = signed_in(index, "uma"), signed_in(index, "vic")
    secret = new_token(owner, description="mine")
    [token_id] = token_ids(owner.get("/account/tokens").text)
    other.get("/account/tokens")
    refused = other.post("/account/tokens/revoke", {"token_id": token_id})
    assert refused.status_code == 404
    assert f"no token with id {token_id!r}" in html.unescape(refused.text)
    assert token_ids(owner.get("/account/tokens").text) == [token_id]
    twine_upload(index.url, secret, [make_wheel(tmp_path, "uma-lib", "1.0")], tmp_path)
    owner.close()
    other.close()


def test_making_a_token_needs_a_recent_password_and_this_sites_form(index: LiveIndex) -> None:
    visitor = signed_in(index, "wes")
    visitor.get("/account/tokens/new")
    forged = visitor.post("/account/tokens/new", {"description": "x"}, csrf=False)
    assert forged.status_code == 403
    cross_site = visitor.post("/account/tokens/new", {"description": "x"},
                              headers={"Origin": "https://evil.example"})
    assert cross_site.status_code == 403
    assert token_ids(visitor.get("/account/tokens").text) == []

    db = Database(index.database_url)
    try:
        with db.write() as session:  # the password was given an hour ago
            session.execute(update(WebSession).values(
                authenticated=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)))
    finally:
        db.dispose()
    for answer in (visitor.get("/account/tokens/new"),
                   visitor.post("/account/tokens/new", {"description": "late"})):
        assert answer.status_code == 303
        assert answer.headers["location"] == "/account/reauth?next=/account/tokens/new"
    assert token_ids(visitor.get("/account/tokens").text) == []
    visitor.get("/account/reauth?next=/account/tokens/new")
    again = visitor.post("/account/reauth", {"password": PASSWORD, "next": "/account/tokens/new"})
    assert again.headers["location"] == "/account/tokens/new"
    assert new_token(visitor, description="on time").startswith("strongroom-")
    visitor.close()


def test_a_bad_choice_is_refused_on_the_form(index: LiveIndex) -> None:
    visitor = signed_in(index, "xia")
    index.create_user("zoe")
    index.cli("admin", "project", "create", "not-xias", "--owner", "zoe")
    visitor.get("/account/tokens/new")
    for fields, status, words in (
            ({"expires": "7"}, 400, "is not one of the lifetimes offered"),
            ({"project": "not-xias"}, 403, "'xia' may not upload to project 'not-xias'"),
            ({"project": "no-such-project"}, 404, "no project named 'no-such-project'"),
            ({"description": "d" * 201}, 400, "description: at most 200 characters")):
        answer = visitor.post("/account/tokens/new", fields)
        assert answer.status_code == status, answer.text
        assert words in html.unescape(answer.text)
        assert "new-token" not in answer.text
    assert token_ids(visitor.get("/account/tokens").text) == []
    visitor.close()


def test_an_expired_token_is_refused(index: LiveIndex, tmp_path: Path) -> None:
    index.create_user("yan")
    secret = index.token("yan", "--expires-in", "1")
    time.sleep(1.5)
    refused = twine_upload(index.url, secret, [make_wheel(tmp_path, "yan-lib", "1.0")],
                           tmp_path, check=False)
    assert refused.returncode != 0
    assert "Invalid API token: expired" in said(refused)


def test_pages_ask_anonymous_visitors_to_log_in(index: LiveIndex) -> None:
    visitor = Visitor(index.url)
    for path in ("/account/tokens", "/account/tokens/new"):
        answer = visitor.get(path)
        assert answer.status_code == 303
        assert answer.headers["location"].startswith("/account/login?next=")
    visitor.close()
