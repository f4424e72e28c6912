"""The account pages on a live server, with mail through a real SMTP server on loopback:
register, verify the address from the mail, log out and in, change the password, reset a
forgotten one; and the attacks on them: forged forms, another site's forms, planted session
cookies, redirects to other sites, guessing passwords and replaying links."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.databases import BACKENDS
from tests.functional.browsing import Visitor, link_in
from tests.functional.server import LiveIndex, running_index
from tests.smtp import SmtpServer, running

PASSWORD = "correct horse battery staple 42"
NEW_PASSWORD = "a different, long and unusual passphrase"


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with running() as server:
        yield server


@pytest.fixture(scope="module", params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          smtp: SmtpServer) -> Iterator[LiveIndex]:
    root = tmp_path_factory.mktemp(f"accounts-{request.param}")
    env = {"STRONGROOM_SMTP_URL": smtp.url, "STRONGROOM_LOGIN_RATE": "5/minute",
           "STRONGROOM_ACCOUNT_MAIL_RATE": "1000/hour"}
    with running_index(request.param, root, extra_env=env) as live:
        yield live


@pytest.fixture
def visitor(index: LiveIndex) -> Iterator[Visitor]:
    browser = Visitor(index.url)
    yield browser
    browser.close()


def _register(visitor: Visitor, smtp: SmtpServer, username: str) -> str:
    """Register ``username``; returns the verification link mailed to them."""
    before = len(smtp.messages)
    response = visitor.submit("/account/register", {
        "username": username, "email": f"{username}@example.org", "password": PASSWORD,
        "password_confirm": PASSWORD})
    assert response.status_code == 303, response.text
    mail = smtp.wait_for(before + 1)[-1]
    assert mail["To"] == f"{username}@example.org"
    return link_in(mail.get_content())


def test_register_verify_logout_and_login(visitor: Visitor, smtp: SmtpServer,
                                          index: LiveIndex) -> None:
    link = _register(visitor, smtp, "carol")
    assert visitor.signed_in_as == "carol"
    assert "not verified" in visitor.get("/account/").text
    # Opening the link does not use it (mail scanners open links); the button does.
    path = link.removeprefix(index.url)
    assert "Verify this address" in visitor.get(path).text
    token = path.partition("token=")[2]
    verified = visitor.post("/account/verify-email", {"token": token})
    assert "carol@example.org is verified" in verified.text
    assert "not verified" not in visitor.get("/account/").text
    again = visitor.post("/account/verify-email", {"token": token})
    assert again.status_code == 400
    assert "not valid" in again.text
    visitor.get("/account/")
    assert visitor.post("/account/logout", {}).status_code == 303
    assert visitor.signed_in_as is None
    assert visitor.login("carol", "wrong password entirely").status_code == 401
    assert visitor.login("carol", PASSWORD).status_code == 303
    assert visitor.signed_in_as == "carol"


def test_pages_carry_the_security_headers_and_cookie_flags(visitor: Visitor) -> None:
    page = visitor.get("/account/login")
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["cache-control"] == "no-store"
    cookie = page.headers["set-cookie"].lower()
    assert "httponly" in cookie
    assert "samesite=lax" in cookie


def test_a_weak_or_mismatched_password_is_refused_with_its_reason(visitor: Visitor) -> None:
    weak = visitor.submit("/account/register", {
        "username": "dave", "email": "dave@example.org", "password": "password1234",
        "password_confirm": "password1234"})
    assert weak.status_code == 400
    assert "password" in weak.text
    differ = visitor.submit("/account/register", {
        "username": "dave", "email": "dave@example.org", "password": PASSWORD,
        "password_confirm": PASSWORD + "x"})
    assert differ.status_code == 400
    assert "differ" in differ.text
    assert visitor.signed_in_as is None


def test_change_password_ends_other_sessions(index: LiveIndex, smtp: SmtpServer) -> None:
    first, second = Visitor(index.url), Visitor(index.url)
    try:
        _register(first, smtp, "erin")
        assert second.login("erin", PASSWORD).status_code == 303
        changed = first.submit("/account/password", {
            "password": PASSWORD, "new_password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD})
        assert changed.status_code == 303, changed.text
        assert first.signed_in_as == "erin"
        assert second.signed_in_as is None
        wrong = first.submit("/account/password", {
            "password": PASSWORD, "new_password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD})
        assert wrong.status_code == 401
    finally:
        first.close()
        second.close()


def test_reset_goes_only_to_a_verified_address_and_works_once(
        visitor: Visitor, smtp: SmtpServer, index: LiveIndex) -> None:
    link = _register(visitor, smtp, "frank")
    before = len(smtp.messages)
    asked = visitor.submit("/account/reset", {"who": "frank"})
    assert "If an account matches" in asked.text
    nobody = visitor.submit("/account/reset", {"who": "nobody-here"})
    assert nobody.text.count("If an account matches") == 1  # the same words either way
    assert len(smtp.messages) == before  # unverified: no reset mail
    token = link.partition("token=")[2]
    visitor.get(link.removeprefix(index.url))
    visitor.post("/account/verify-email", {"token": token})
    visitor.submit("/account/reset", {"who": "frank@example.org"})
    mail = smtp.wait_for(before + 1)[-1]
    reset = link_in(mail.get_content()).removeprefix(index.url)
    stranger = Visitor(index.url)
    try:
        stranger.get(reset)
        secret = reset.partition("token=")[2]
        done = stranger.post("/account/reset/confirm", {
            "token": secret, "new_password": NEW_PASSWORD, "password_confirm": NEW_PASSWORD})
        assert done.status_code == 200
        assert "Log in with it" in done.text
        replay = stranger.post("/account/reset/confirm", {
            "token": secret, "new_password": PASSWORD, "password_confirm": PASSWORD})
        assert replay.status_code == 400
        assert stranger.login("frank", NEW_PASSWORD).status_code == 303
    finally:
        stranger.close()
    assert visitor.signed_in_as is None  # the reset ended the old session


def test_a_form_without_its_csrf_secret_or_from_another_site_changes_nothing(
        visitor: Visitor, smtp: SmtpServer) -> None:
    _register(visitor, smtp, "grace")
    visitor.get("/account/")
    forged = visitor.post("/account/emails", {"action": "add", "address": "x@example.org"},
                          csrf=False)
    assert forged.status_code == 403
    cross = visitor.post("/account/emails", {"action": "add", "address": "x@example.org"},
                         headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403
    assert "x@example.org" not in visitor.get("/account/").text
    assert visitor.post("/account/logout", {"next": "/"}, csrf=False).status_code == 403
    assert visitor.signed_in_as == "grace"


def test_a_session_cookie_planted_before_login_is_worthless_after(
        index: LiveIndex, smtp: SmtpServer) -> None:
    victim, attacker = Visitor(index.url), Visitor(index.url)
    try:
        _register(attacker, smtp, "heidi")
        planted = attacker.client.cookies["strongroom_session"]
        attacker.get("/account/")
        attacker.post("/account/logout", {})
        victim.client.cookies.set("strongroom_session", planted, domain="127.0.0.1")
        assert victim.login("heidi", PASSWORD).status_code == 303
        assert victim.client.cookies.get("strongroom_session", domain="127.0.0.1") != planted
        attacker.client.cookies.set("strongroom_session", planted, domain="127.0.0.1")
        assert attacker.signed_in_as is None
    finally:
        victim.close()
        attacker.close()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/",
                                    "/\\evil.example/", "javascript:alert(1)",
                                    "/%0d%0aLocation:%20https://evil.example"])
def test_login_never_redirects_to_another_site(visitor: Visitor, smtp: SmtpServer,
                                               target: str) -> None:
    if visitor.login("ivan", PASSWORD).status_code != 303:
        _register(visitor, smtp, "ivan")
    visitor.get("/account/")
    visitor.post("/account/logout", {})
    visitor.get("/account/login", params={"next": target})
    response = visitor.post("/account/login", {"username": "ivan", "password": PASSWORD,
                                               "next": target})
    assert response.status_code == 303
    location = response.headers["location"]
    assert location.startswith("/")
    assert not location.startswith(("//", "/\\"))
    assert "evil" not in location or location.startswith("/%")


def test_the_security_history_shows_what_happened_and_from_where(
        index: LiveIndex, smtp: SmtpServer) -> None:
    visitor = Visitor(index.url)
    other = Visitor(index.url)
    try:
        _register(visitor, smtp, "judy")
        assert other.login("judy", "not the password at all").status_code == 401
        other.client.headers["User-Agent"] = "judy-laptop/2.0"
        assert other.login("judy", PASSWORD).status_code == 303
        page = visitor.get("/account/history")
        assert page.status_code == 200
        rows = page.text.split('<table id="history">')[1]
        kinds = [kind for kind in ("login.failed", "login") if f"<td>{kind}</td>" in rows]
        assert kinds == ["login.failed", "login"]
        assert rows.index("<td>login</td>") < rows.index("<td>login.failed</td>")  # newest first
        assert "judy-laptop/2.0" in rows
        assert "127.0.0.1" in rows
        stranger = Visitor(index.url)
        try:
            assert stranger.get("/account/history").status_code == 303  # to the login page
            assert stranger.get("/account/history.jsonl").status_code == 303
        finally:
            stranger.close()
    finally:
        visitor.close()
        other.close()


def test_a_user_downloads_their_own_history_as_json_lines(
        index: LiveIndex, smtp: SmtpServer) -> None:
    visitor, neighbour = Visitor(index.url), Visitor(index.url)
    try:
        visitor.client.headers["User-Agent"] = "lee-desktop/3.1"
        for browser, name in ((neighbour, "kim"), (visitor, "lee")):
            _register(browser, smtp, name)
            browser.get("/account/")
            browser.post("/account/logout", {})
            assert browser.login(name, PASSWORD).status_code == 303
        page = visitor.get("/account/history")
        assert 'href="/account/history.jsonl"' in page.text
        download = visitor.get("/account/history.jsonl")
        assert download.status_code == 200
        assert download.headers["content-type"] == "application/x-ndjson"
        assert download.headers["content-disposition"] == (
            'attachment; filename="security-history.jsonl"')
        events = [json.loads(line) for line in download.text.splitlines()]
        assert [e["id"] for e in events] == sorted(e["id"] for e in events)  # oldest first
        assert {e["username"] for e in events} == {"lee"}
        assert len({e["user_id"] for e in events}) == 1
        # Registering, the logout after it and the login, in that order.
        assert [e["kind"] for e in events] == ["account.created", "logout", "login"]
        assert events[0]["details"] == {"by": "registration"}
        # Their own events keep where they came from, as their page shows.
        assert any(e["user_agent"] == "lee-desktop/3.1" and e["address"] == "127.0.0.1"
                   for e in events)
    finally:
        visitor.close()
        neighbour.close()


def test_guessing_passwords_hits_the_limit(index: LiveIndex) -> None:
    guesser = Visitor(index.url)
    try:
        statuses = [guesser.login("nobody", f"guess number {n}").status_code for n in range(7)]
        # Five failures a minute per address and per name (other tests' failures from this
        # address count too): refusals, then 429 from the sixth at the latest, and for good.
        refused = statuses.index(429)
        assert 1 <= refused <= 5
        assert statuses[:refused] == [401] * refused
        assert statuses[refused:] == [429] * (7 - refused)
        assert guesser.login("nobody", "guess number 8").headers["retry-after"].isdigit()
    finally:
        guesser.close()
