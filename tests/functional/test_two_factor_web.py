"""Second factors on the live account pages: set up TOTP from the page's secret, then a login
owes a code before it is signed in; a code is good once; recovery codes stand in for it, each
once; guessing codes hits the limit."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator

import pyotp
import pytest

from tests.databases import BACKENDS
from tests.functional.browsing import Visitor
from tests.functional.server import LiveIndex, running_index
from tests.smtp import SmtpServer, running

PASSWORD = "correct horse battery staple 42"


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with running() as server:
        yield server


@pytest.fixture(scope="module", params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          smtp: SmtpServer) -> Iterator[LiveIndex]:
    root = tmp_path_factory.mktemp(f"two-factor-{request.param}")
    env = {"STRONGROOM_SMTP_URL": smtp.url, "STRONGROOM_ACCOUNT_MAIL_RATE": "1000/hour",
           "STRONGROOM_TWO_FACTOR_RATE": "4/minute"}
    with running_index(request.param, root, extra_env=env) as live:
        yield live


def _enrolled(index: LiveIndex, username: str
              ) -> tuple[Visitor, pyotp.TOTP, list[str], str]:
    """A visitor signed in as a new user who set up TOTP: the visitor, the app's TOTP, the
    recovery codes shown and the code that confirmed the set-up."""
    visitor = Visitor(index.url)
    response = visitor.submit("/account/register", {
        "username": username, "email": f"{username}@example.org", "password": PASSWORD,
        "password_confirm": PASSWORD})
    assert response.status_code == 303, response.text
    page = visitor.get("/account/totp")
    assert page.status_code == 200, page.text
    assert 'src="data:image/svg+xml' in page.text  # the QR code
    secret = re.search(r'id="totp-secret">([A-Z2-7]+)<', page.text)
    assert secret, page.text
    totp = pyotp.TOTP(secret.group(1))
    wrong = visitor.post("/account/totp", {"secret": secret.group(1), "action": "confirm",
                                           "code": "000000" if totp.now() != "000000" else "1"})
    assert wrong.status_code == 400
    assert secret.group(1) in wrong.text  # the same secret again, not a new one to scan
    confirming = totp.now()
    done = visitor.post("/account/totp", {"secret": secret.group(1), "action": "confirm",
                                          "code": confirming})
    assert done.status_code == 200, done.text
    codes = re.findall(r"<li><code>([0-9a-f]{16})</code></li>", done.text)
    assert len(codes) == 8
    assert visitor.signed_in_as == username  # the session that proved the factor stays in
    return visitor, totp, codes, confirming


def test_login_owes_a_totp_code_and_a_code_works_once(index: LiveIndex) -> None:
    first, totp, _codes, confirming = _enrolled(index, "olga")
    first.close()
    visitor = Visitor(index.url)
    try:
        login = visitor.login("olga", PASSWORD)
        assert login.status_code == 303
        assert login.headers["location"].startswith("/account/two-factor")
        assert visitor.signed_in_as is None  # the password alone signs nobody in
        visitor.get("/account/two-factor")
        # The code that confirmed the set-up was used then: it is refused now. (That code, not
        # totp.now(), which is another once a 30-second step has begun since.)
        used = visitor.post("/account/two-factor", {"code": confirming})
        assert used.status_code == 401
        assert visitor.signed_in_as is None
        # The next step's code is accepted (one step of drift is allowed), once.
        code = totp.at(time.time() + 30)
        assert visitor.post("/account/two-factor", {"code": code}).status_code == 303
        assert visitor.signed_in_as == "olga"
        replay = Visitor(index.url)
        try:
            replay.login("olga", PASSWORD)
            replay.get("/account/two-factor")
            assert replay.post("/account/two-factor", {"code": code}).status_code == 401
            assert replay.signed_in_as is None
        finally:
            replay.close()
    finally:
        visitor.close()


def test_a_recovery_code_stands_in_once(index: LiveIndex) -> None:
    first, _totp, codes, _confirming = _enrolled(index, "pavel")
    first.close()
    for expected in (303, 401):
        visitor = Visitor(index.url)
        try:
            visitor.login("pavel", PASSWORD)
            visitor.get("/account/two-factor")
            answer = visitor.post("/account/two-factor", {"code": codes[0].upper()})
            assert answer.status_code == expected
        finally:
            visitor.close()


def test_guessing_codes_hits_the_limit(index: LiveIndex) -> None:
    first, _totp, _codes, _confirming = _enrolled(index, "quinn")
    first.close()
    visitor = Visitor(index.url)
    try:
        visitor.login("quinn", PASSWORD)
        visitor.get("/account/two-factor")
        statuses = [visitor.post("/account/two-factor", {"code": f"{n:06d}"}).status_code
                    for n in range(6)]
        # Four failures a minute per user (the wrong code at set-up counted too): refusals,
        # then 429 for good.
        refused = statuses.index(429)
        assert 1 <= refused <= 4
        assert statuses == [401] * refused + [429] * (6 - refused)
        assert visitor.signed_in_as is None
    finally:
        visitor.close()
