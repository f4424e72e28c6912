"""Mails asked for are limited per client address: registrations and resets past the limit
get 429 with Retry-After and send nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.databases import BACKENDS
from tests.functional.browsing import Visitor
from tests.functional.server import LiveIndex, running_index
from tests.smtp import SmtpServer, running

pytestmark = pytest.mark.functional
PASSWORD = "correct horse battery staple 42"


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with running() as server:
        yield server


@pytest.fixture(params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          smtp: SmtpServer) -> Iterator[LiveIndex]:
    root = tmp_path_factory.mktemp(f"limits-{request.param}")
    env = {"STRONGROOM_SMTP_URL": smtp.url, "STRONGROOM_ACCOUNT_MAIL_RATE": "3/hour"}
    with running_index(request.param, root, extra_env=env) as live:
        yield live


def test_registering_and_resetting_past_the_limit_is_refused(index: LiveIndex,
                                                             smtp: SmtpServer) -> None:
    before, statuses = len(smtp.messages), []
    for n in range(4):
        visitor = Visitor(index.url)
        try:
            statuses.append(visitor.submit("/account/register", {
                "username": f"user{n}", "email": f"user{n}@example.org", "password": PASSWORD,
                "password_confirm": PASSWORD}).status_code)
        finally:
            visitor.close()
    assert statuses == [303, 303, 303, 429]
    sent = len(smtp.wait_for(before + 3))
    visitor = Visitor(index.url)
    try:
        reset = visitor.submit("/account/reset", {"who": "user0"})
        assert reset.status_code == 429
        assert int(reset.headers["retry-after"]) > 0
        assert "too many attempts" in reset.text
    finally:
        visitor.close()
    assert len(smtp.messages) == sent
