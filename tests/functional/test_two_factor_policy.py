"""``two_factor_required`` on live servers. Under ``uploaders`` an upload token is made only
for a user with a second factor, on the page and on the command line (whose administrator may
override it, on the record), and a token made without one uploads nothing while its user still
has none, the refusal saying where to go. Under ``everyone`` a user without a second factor is
sent to set one up from every page but those that do that, sign out or verify an address."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest

from tests.builders import make_wheel
from tests.databases import BACKENDS
from tests.functional.browsing import Visitor
from tests.functional.clients import said, twine_upload
from tests.functional.server import LiveIndex, running_index

pytestmark = pytest.mark.functional

PASSWORD = "a long enough password"  # LiveIndex.create_user's
_NEW_TOKEN = re.compile(r'id="new-token">(strongroom-[^<]+)</code>')


@pytest.fixture(scope="module", params=BACKENDS)
def uploaders(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
              ) -> Iterator[LiveIndex]:
    root = tmp_path_factory.mktemp(f"uploaders-{request.param}")
    with running_index(request.param, root,
                       extra_env={"STRONGROOM_TWO_FACTOR_REQUIRED": "uploaders"}) as live:
        yield live


@pytest.fixture(scope="module", params=BACKENDS)
def everyone(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
             ) -> Iterator[LiveIndex]:
    """A private index, so that a signed-in browser's reads are checked too."""
    root = tmp_path_factory.mktemp(f"everyone-{request.param}")
    with running_index(request.param, root,
                       extra_env={"STRONGROOM_TWO_FACTOR_REQUIRED": "everyone",
                                  "STRONGROOM_PRIVATE": "true"}) as live:
        yield live


def signed_in(index: LiveIndex, username: str) -> Visitor:
    index.create_user(username)
    visitor = Visitor(index.url)
    assert visitor.login(username, PASSWORD).status_code == 303
    return visitor


def set_up_totp(visitor: Visitor) -> None:
    page = visitor.get("/account/totp")
    assert page.status_code == 200, page.text
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text)
    assert secret, page.text
    done = visitor.post("/account/totp", {"secret": secret.group(1), "action": "confirm",
                                          "code": pyotp.TOTP(secret.group(1)).now()})
    assert done.status_code == 200, done.text


def make_token(visitor: Visitor, **fields: str) -> tuple[int, str]:
    """Post the new-token form: the status, and the token or the page's error."""
    visitor.get("/account/tokens/new")
    answer = visitor.post("/account/tokens/new", fields)
    found = _NEW_TOKEN.search(answer.text)
    error = re.search(r'<p class="error" role="alert">([^<]+)</p>', answer.text)
    return answer.status_code, (found.group(1) if found
                                else html.unescape(error.group(1)) if error else answer.text)


def test_the_page_makes_upload_tokens_only_with_a_second_factor(uploaders: LiveIndex,
                                                               tmp_path: Path) -> None:
    visitor = signed_in(uploaders, "ada")
    form = visitor.get("/account/tokens/new").text
    assert "requires two-factor authentication to create a token that uploads" in form
    status, words = make_token(visitor, description="ci")
    assert status == 403
    assert words == ("this index requires two-factor authentication to create an upload token "
                     "(two_factor_required = uploaders), and user 'ada' has none: set up "
                     f"two-factor authentication at {uploaders.url}/account/totp first")
    status, _reader = make_token(visitor, description="mirror", read_only="on")
    assert status == 200  # a read-only token uploads nothing: the policy leaves it be

    set_up_totp(visitor)
    assert "requires two-factor" not in visitor.get("/account/tokens/new").text
    status, secret = make_token(visitor, description="ci")
    assert status == 200, secret
    rows = re.findall(r"<tr>\s*<td>([^<]+)</td>.*?<td>(yes|no)</td>",
                      visitor.get("/account/tokens").text, re.DOTALL)
    assert sorted(rows) == [("ci", "yes"), ("mirror", "no")]
    twine_upload(uploaders.url, secret, [make_wheel(tmp_path, "ada-lib", "1.0")], tmp_path)
    visitor.close()


def test_the_command_line_refuses_unless_told_and_the_upload_says_what_to_do(
        uploaders: LiveIndex, tmp_path: Path) -> None:
    uploaders.create_user("bea")
    refused = uploaders.cli("admin", "token", "create", "--user", "bea", check=False)
    assert refused.returncode == 3, refused.stderr
    assert refused.stdout == ""
    # The command line knows the index's address from base_url, unset here: it names the
    # address `serve` listens on by default.
    assert said(refused) == (
        "error: this index requires two-factor authentication to create an upload token "
        "(two_factor_required = uploaders), and user 'bea' has none: set up two-factor "
        "authentication at http://127.0.0.1:8000/account/totp first (or pass --without-2fa to "
        "make it anyway, recorded in the security history)")
    assert uploaders.token("bea", "--read-only").startswith("strongroom-")

    secret = uploaders.token("bea", "--without-2fa", "--description", "legacy")
    history = uploaders.cli("admin", "history", "show", "--user", "bea").stdout
    assert "override of two_factor_required = uploaders" in history
    upload = twine_upload(uploaders.url, secret, [make_wheel(tmp_path, "bea-lib", "1.0")],
                          tmp_path, check=False)
    assert upload.returncode != 0
    assert "403" in said(upload)
    assert (
        "The given token was made without two-factor authentication, which this index "
        "requires (two_factor_required = uploaders), and user 'bea' still has none: set up "
        f"two-factor authentication at {uploaders.url}/account/totp, then create a new token at "
        f"{uploaders.url}/account/tokens") in said(upload)

    visitor = Visitor(uploaders.url)
    assert visitor.login("bea", PASSWORD).status_code == 303
    set_up_totp(visitor)
    visitor.close()
    # With a second factor now, the token made before is good (and new ones need no override).
    twine_upload(uploaders.url, secret, [make_wheel(tmp_path, "bea-lib", "1.0")], tmp_path)
    assert uploaders.token("bea").startswith("strongroom-")


def test_everyone_is_sent_to_set_up_a_second_factor_first(everyone: LiveIndex) -> None:
    visitor = signed_in(everyone, "cai")
    for path in ("/account/", "/account/tokens", "/account/tokens/new", "/account/password"):
        answer = visitor.get(path)
        assert answer.status_code == 303, path
        assert answer.headers["location"] == "/account/totp?required=1", path
    posted = visitor.post("/account/tokens/new", {"description": "x"})
    assert posted.headers["location"] == "/account/totp?required=1"
    # Reading the private index signed in is no way round it.
    assert visitor.get("/simple/").status_code == 403
    page = visitor.get("/account/totp?required=1")
    assert page.status_code == 200
    assert "This index requires two-factor authentication: set up an authenticator app" \
        in page.text
    assert visitor.get("/account/keys").status_code == 200  # a security key will do too
    assert visitor.get("/account/logout").status_code == 200
    assert visitor.get("/account/verify-email?token=x").status_code == 200

    set_up_totp(visitor)
    assert visitor.get("/account/").status_code == 200
    assert visitor.get("/simple/").status_code == 200
    status, secret = make_token(visitor, description="ci", read_only="on")
    assert status == 200, secret
    visitor.close()
    anonymous = Visitor(everyone.url)
    assert anonymous.get("/account/tokens").headers["location"].startswith("/account/login")
    anonymous.close()


def test_everyone_needs_a_second_factor_even_for_a_read_only_token(everyone: LiveIndex) -> None:
    everyone.create_user("dov")
    refused = everyone.cli("admin", "token", "create", "--user", "dov", "--read-only",
                           check=False)
    assert refused.returncode == 3
    assert "to create a read-only token (two_factor_required = everyone)" in said(refused)
