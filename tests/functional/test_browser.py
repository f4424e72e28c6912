"""The account pages in a real browser: Debian's Chromium driven by Playwright, its security
key a virtual authenticator of Chromium's own (through the DevTools protocol), against a live
index whose base URL is ``http://localhost:PORT`` (the relying party is ``localhost``) and
whose mail goes to a real SMTP server on loopback.

The journey: register → open the mailed link and verify → set up TOTP from the page's secret →
keep the recovery codes → add a security key → log out → log in with the password and then
the key → create an API token and read it off the page → upload a wheel with twine (the real
CLI) → a second user registers and verifies in a browser of their own, makes a token, and is
refused (403) an upload to the project → the first invites them as Maintainer on the project's
page → the invitation mail's link takes them to it, they accept, and their upload of a new
version is served on the simple page and in the JSON API. Besides: a removed key is no longer
offered at the second step. And the attacks: another account's key, and a replayed answer.

Each step leaves a screenshot in the test's tmp directory, copied to test-artifacts/browser/ at
the repository's root when STRONGROOM_TEST_ARTIFACTS is set. Without Chromium the tests are
skipped, saying why, unless STRONGROOM_REQUIRE_BROWSER=1 or CI is set (.ci/run sets the
former, after installing Chromium): there, a missing browser fails them.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pyotp
import pytest
from playwright.sync_api import Browser, CDPSession, Page, sync_playwright

from tests.builders import make_wheel
from tests.databases import BACKENDS
from tests.functional.browsing import link_in
from tests.functional.clients import said, twine_upload
from tests.functional.server import LiveIndex, running_index
from tests.smtp import SmtpServer, running

PASSWORD = "correct horse battery staple 42"
CLI_PASSWORD = "a long enough password"  # LiveIndex.create_user's
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
PROJECT = "wanda-tools"
# The page an invitation mail sends its reader to.
_PROJECTS_LINK = re.compile(r"(https?://\S+/account/projects)\b")


def _chromium() -> str | None:
    found = shutil.which("chromium")
    if found is None and Path("/usr/bin/chromium").exists():
        found = "/usr/bin/chromium"
    return found


def _browser_required() -> bool:
    return (os.environ.get("STRONGROOM_REQUIRE_BROWSER") == "1"
            or os.environ.get("CI", "").lower() in {"1", "true", "yes"})


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = _chromium()
    if executable is None:
        reason = "Debian's chromium is not installed (apt-get install chromium)"
        if _browser_required():
            pytest.fail(f"{reason}, and the browser tests are required here")
        pytest.skip(reason)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, headless=True,
                                              args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with running() as server:
        yield server


@pytest.fixture(scope="module", params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          smtp: SmtpServer) -> Iterator[LiveIndex]:
    root = tmp_path_factory.mktemp(f"browser-{request.param}")
    env = {"STRONGROOM_SMTP_URL": smtp.url, "STRONGROOM_ACCOUNT_MAIL_RATE": "1000/hour"}
    with running_index(request.param, root, extra_env=env, public_host="localhost") as live:
        yield live


def _base(index: LiveIndex) -> str:
    return f"http://localhost:{index.port}"


class Screens:
    """Numbered screenshots of one test, kept in its tmp directory (and in test-artifacts/
    when STRONGROOM_TEST_ARTIFACTS is set)."""

    def __init__(self, directory: Path, artifacts: Path | None) -> None:
        self.directory = directory
        self.artifacts = artifacts
        self.taken: list[Path] = []

    def shot(self, page: Page, name: str) -> None:
        path = self.directory / f"{len(self.taken) + 1:02d}-{name}.png"
        page.screenshot(path=path, full_page=True)
        self.taken.append(path)
        if self.artifacts is not None:
            self.artifacts.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, self.artifacts / path.name)


@pytest.fixture
def screens(request: pytest.FixtureRequest, tmp_path: Path) -> Screens:
    directory = tmp_path / "screenshots"
    directory.mkdir()
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", request.node.name).strip("-")
    keep = ARTIFACTS / name if os.environ.get("STRONGROOM_TEST_ARTIFACTS") else None
    if keep is not None and keep.exists():
        shutil.rmtree(keep)
    return Screens(directory, keep)


class Tab:
    """A page in a fresh browser context with a virtual security key, and what went wrong
    in its scripts (uncaught errors, Content-Security-Policy refusals)."""

    def __init__(self, browser: Browser, base: str) -> None:
        self.context = browser.new_context(base_url=base)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("pageerror", lambda error: self.problems.append(str(error)))
        self.page.on("console", lambda message: self.problems.append(message.text)
                     if "Content Security Policy" in message.text else None)
        self.cdp: CDPSession = self.context.new_cdp_session(self.page)
        self.cdp.send("WebAuthn.enable")
        self.authenticator = self.cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {
            "protocol": "ctap2", "transport": "usb", "hasResidentKey": True,
            "hasUserVerification": True, "isUserVerified": True}})["authenticatorId"]

    def credentials(self) -> list[dict[str, Any]]:
        """What the virtual key holds: credentialId (base64), rpId, signCount..."""
        return list(self.cdp.send("WebAuthn.getCredentials",
                                  {"authenticatorId": self.authenticator})["credentials"])

    def close(self) -> None:
        self.context.close()
        assert self.problems == []


@pytest.fixture
def tab(browser: Browser, index: LiveIndex) -> Iterator[Tab]:
    opened = Tab(browser, _base(index))
    yield opened
    opened.close()


@pytest.fixture
def second_tab(browser: Browser, index: LiveIndex) -> Iterator[Tab]:
    """Another person's browser: a context of its own, sharing no cookies with ``tab``."""
    opened = Tab(browser, _base(index))
    yield opened
    opened.close()


def _signed_in_as(page: Page) -> str | None:
    names = page.locator("header nav a[href='/account/']")
    return names.inner_text() if names.count() else None


def _log_in(page: Page, username: str, password: str) -> None:
    page.goto("/account/login")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("main button[type=submit]")


def _log_out(page: Page) -> None:
    page.click("header button:has-text('Log out')")
    page.wait_for_load_state()
    assert _signed_in_as(page) is None


def _add_key(page: Page, name: str) -> None:
    page.goto("/account/keys")
    page.fill("#key-name", name)
    page.click("#add-key button")
    page.wait_for_url("/account/keys?added=1")
    assert name in page.locator("#security-keys").inner_text()


def _register_and_verify(page: Page, smtp: SmtpServer, screens: Screens, base: str,
                         username: str) -> None:
    """Register ``username`` (mail at example.org) and verify it from the mailed link."""
    page.goto("/account/register")
    page.fill("#username", username)
    page.fill("#email", f"{username}@example.org")
    page.fill("#password", PASSWORD)
    page.fill("#password_confirm", PASSWORD)
    screens.shot(page, f"{username}-register")
    before = len(smtp.messages)
    page.click("main button[type=submit]")
    page.wait_for_url("/account/?registered=1")
    assert _signed_in_as(page) == username
    screens.shot(page, f"{username}-registered")
    link = link_in(smtp.wait_for(before + 1)[-1].get_content())
    assert link.startswith(f"{base}/account/verify-email?token=")
    page.goto(link)
    screens.shot(page, f"{username}-verification-link")
    page.click("main button[type=submit]")
    page.wait_for_load_state()
    assert f"{username}@example.org is verified" in page.content()
    screens.shot(page, f"{username}-verified")


def _set_up_totp(page: Page, screens: Screens, keep: Path) -> None:
    """Set up TOTP from the page's secret; the recovery codes shown go to ``keep``."""
    page.goto("/account/totp")
    secret = page.inner_text("#totp-secret").strip()
    page.fill("#code", pyotp.TOTP(secret).now())
    screens.shot(page, "totp")
    page.click("main button[type=submit]")
    codes = page.locator("#recovery-codes code").all_inner_texts()
    assert len(codes) == 8
    keep.write_text("\n".join(codes) + "\n")
    screens.shot(page, "recovery-codes")


def _create_token(page: Page, screens: Screens, base: str, who: str) -> str:
    """From the account page, make an upload token for all of ``who``'s projects; returns
    the secret the answer shows, this once."""
    page.goto("/account/")
    page.get_by_role("link", name="API tokens").click()
    page.get_by_role("link", name="Create a token").click()
    page.wait_for_url("/account/tokens/new")
    page.fill("#description", f"{who}'s laptop")
    page.click("main button[type=submit]")
    secret = page.inner_text("#new-token").strip()
    assert secret.startswith("strongroom-")
    shown = page.inner_text("main")
    assert "Uploads, for all your projects, never expires." in shown
    assert f"{base}/legacy/" in shown
    screens.shot(page, f"{who}-token-created")
    page.goto("/account/tokens")
    assert f"{who}'s laptop" in page.inner_text("main")
    assert secret.removeprefix("strongroom-") not in page.content()  # shown once only
    return secret


def _invite(page: Page, smtp: SmtpServer, screens: Screens, project: str,
            username: str) -> str:
    """As the project's Owner, invite ``username`` as Maintainer from the project's page;
    returns the address of the page the invitation mail points to."""
    page.goto("/account/")
    page.get_by_role("link", name="Your projects and invitations").click()
    page.locator("#projects").get_by_role("link", name=project).click()
    page.wait_for_url(f"/account/projects/{project}")
    page.fill("#username", username)
    page.select_option("#role", "Maintainer")
    before = len(smtp.messages)
    page.click("main button:has-text('Invite')")
    page.wait_for_load_state()
    assert f"{username} is invited as Maintainer." in page.inner_text("main")
    assert username in page.inner_text("#project-invitations")
    screens.shot(page, "invited")
    mail = smtp.wait_for(before + 1)[-1]
    assert mail["To"] == f"{username}@example.org"
    assert mail["Subject"] == f"Invitation to {project}"
    found = _PROJECTS_LINK.search(mail.get_content())
    assert found, mail.get_content()
    return found.group(1)


def _accept(page: Page, screens: Screens, link: str, project: str) -> None:
    """Open the invitation mail's link and accept the invitation to ``project``."""
    page.goto(link)
    invitation = page.locator("#invitations tr", has_text=project)
    assert "Maintainer" in invitation.inner_text()
    screens.shot(page, "invitation")
    invitation.get_by_role("button", name="Accept").click()
    page.wait_for_load_state()
    assert f"Invitation to {project} accepted." in page.inner_text("main")
    assert page.locator("#invitations").count() == 0
    held = page.locator("#projects tr", has_text=project)
    assert "Maintainer" in held.inner_text()
    screens.shot(page, "invitation-accepted")


def _log_in_with_a_new_key(tab: Tab, screens: Screens, username: str) -> None:
    """Add a security key, log out, and log in with the password and then the key."""
    page = tab.page
    _add_key(page, "Blue key")
    [credential] = tab.credentials()
    assert credential["rpId"] == "localhost"
    screens.shot(page, "key-added")
    page.goto("/account/")
    assert "Security keys</a>: 1" in page.content()

    _log_out(page)
    screens.shot(page, "logged-out")
    _log_in(page, username, PASSWORD)
    page.wait_for_url("/account/two-factor?next=/account/")
    assert _signed_in_as(page) is None
    screens.shot(page, "second-step")
    page.click("#use-key")
    page.wait_for_url("/account/")
    assert _signed_in_as(page) == username
    screens.shot(page, "signed-in-with-key")
    assert tab.credentials()[0]["signCount"] >= 1
    page.goto("/account/keys")
    assert "never" not in page.locator("#security-keys").inner_text()  # last used: now


def _served(page: Page, screens: Screens, wheels: list[Path]) -> None:
    """The simple page links ``wheels`` (of PROJECT, one release each, in order), and the
    JSON API names the last one's version the latest."""
    page.goto(f"/simple/{PROJECT}/")
    assert page.locator("a").all_inner_texts() == [wheel.name for wheel in wheels]
    screens.shot(page, "simple-page")
    described = page.request.get(f"/pypi/{PROJECT}/json")
    assert described.ok
    document = described.json()
    versions = [wheel.name.split("-")[1] for wheel in wheels]
    assert document["info"]["version"] == versions[-1]
    assert sorted(document["releases"]) == versions


def test_a_new_user_secures_the_account_publishes_and_shares_a_project(
        tab: Tab, second_tab: Tab, index: LiveIndex, smtp: SmtpServer, screens: Screens,
        tmp_path: Path) -> None:
    page, base, dist = tab.page, _base(index), tmp_path / "dist"
    _register_and_verify(page, smtp, screens, base, "wanda")
    _set_up_totp(page, screens, tmp_path / "recovery-codes.txt")

    _log_in_with_a_new_key(tab, screens, "wanda")

    # The token shown once uploads with twine, to the upload URL the page gives.
    token = _create_token(page, screens, base, "wanda")
    first, second = make_wheel(dist, PROJECT, "1.0"), make_wheel(dist, PROJECT, "1.1")
    twine_upload(base, token, [first], tmp_path)
    page.goto("/account/projects")
    assert "Owner" in page.locator("#projects tr", has_text=PROJECT).inner_text()
    screens.shot(page, "owner-of-uploaded-project")

    # A second user, in a browser of their own, may not upload to it until invited.
    other = second_tab.page
    _register_and_verify(other, smtp, screens, base, "xena")
    other_token = _create_token(other, screens, base, "xena")
    refused = twine_upload(base, other_token, [second], tmp_path, check=False)
    assert refused.returncode != 0
    assert "403 Forbidden" in said(refused), said(refused)
    assert "isn't allowed to upload to project" in said(refused), said(refused)

    link = _invite(page, smtp, screens, PROJECT, "xena")
    assert link == f"{base}/account/projects"
    _accept(other, screens, link, PROJECT)
    twine_upload(base, other_token, [second], tmp_path)

    _served(other, screens, [first, second])
    page.goto(f"/account/projects/{PROJECT}")
    assert "Maintainer" in page.locator("#roles tr", has_text="xena").inner_text()
    screens.shot(page, "roles")
    assert sorted(screens.directory.iterdir()) == screens.taken  # one per step, in order


def test_a_removed_key_is_no_longer_offered(tab: Tab, index: LiveIndex, screens: Screens,
                                            tmp_path: Path) -> None:
    page = tab.page
    index.create_user("kim")
    _log_in(page, "kim", CLI_PASSWORD)
    page.wait_for_url("/account/")
    _set_up_totp(page, screens, tmp_path / "recovery-codes.txt")
    _add_key(page, "Spare key")
    page.click("#security-keys button:has-text('Remove')")
    page.wait_for_url("/account/keys?removed=1")
    assert page.locator("#no-keys").is_visible()
    screens.shot(page, "key-removed")
    _log_out(page)
    _log_in(page, "kim", CLI_PASSWORD)
    page.wait_for_url("/account/two-factor?next=/account/")
    assert page.locator("#use-key").count() == 0  # TOTP is left; no key to offer
    screens.shot(page, "second-step-without-key")


# Posts a key's answer as the page's script would, and gives back the status and answer.
_SEND = """async function send(body) {
    const response = await fetch("/account/two-factor/key/verify", {method: "POST",
        headers: {"Content-Type": "application/json",
                  "X-CSRF-Token": document.querySelector('input[name="csrf_token"]').value},
        body});
    return {status: response.status, answer: await response.json()};
}"""
# Asks the key for an answer as the credential ``credentialId``, whoever's it is.
_TRY_KEY = "async ([credentialId, next]) => {\n" + _SEND + """
    const keys = window.StrongroomKeys;
    const options = await keys.post("/account/two-factor/key/options", {});
    options.allowCredentials = [{type: "public-key", id: credentialId}];
    const credential = await navigator.credentials.get(keys.requestOptions(options));
    return await send(JSON.stringify({credential: keys.assertionJSON(credential), next}));
}"""
_REPLAY = "async (body) => {\n" + _SEND + "\nreturn await send(body);\n}"


def _b64url(standard: str) -> str:
    return base64.urlsafe_b64encode(base64.b64decode(standard)).rstrip(b"=").decode()


def test_another_accounts_key_and_a_replayed_answer_are_refused(
        tab: Tab, index: LiveIndex, screens: Screens) -> None:
    page = tab.page
    index.create_user("dora")
    index.create_user("emil")
    held: dict[str, str] = {}  # user → the credential id of their key (base64url)
    for name in ("dora", "emil"):
        _log_in(page, name, CLI_PASSWORD)
        page.wait_for_url("/account/")
        _add_key(page, f"{name}'s key")
        _log_out(page)
        [new] = {_b64url(c["credentialId"]) for c in tab.credentials()} - set(held.values())
        held[name] = new

    _log_in(page, "emil", CLI_PASSWORD)
    page.wait_for_url("/account/two-factor?next=/account/")
    # The browser holds dora's key too; it signs emil's challenge, and is refused.
    tried = page.evaluate(_TRY_KEY, [held["dora"], "/account/"])
    assert tried["status"] == 401, tried
    assert "not one of this account's" in tried["answer"]["error"]
    page.reload()
    assert _signed_in_as(page) is None
    screens.shot(page, "another-accounts-key-refused")

    with page.expect_request("/account/two-factor/key/verify") as sent:
        page.click("#use-key")
    page.wait_for_url("/account/")
    assert _signed_in_as(page) == "emil"
    answer = sent.value.post_data
    assert answer is not None

    _log_out(page)
    _log_in(page, "emil", CLI_PASSWORD)
    page.wait_for_url("/account/two-factor?next=/account/")
    # The same answer again: no challenge is under way, then it signs an old one.
    replayed = page.evaluate(_REPLAY, answer)
    assert replayed["status"] == 400, replayed
    assert "no security key request" in replayed["answer"]["error"]
    page.evaluate("() => window.StrongroomKeys.post('/account/two-factor/key/options', {})")
    replayed = page.evaluate(_REPLAY, answer)
    assert replayed["status"] == 401, replayed
    page.reload()
    assert _signed_in_as(page) is None
    screens.shot(page, "replayed-answer-refused")
    history = index.cli("admin", "history", "show", "--user", "emil").stdout
    assert history.count("2fa.failed") == 2  # the first replay had no challenge to fail
