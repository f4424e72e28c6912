"""Security keys' JSON calls on a live index, answered by a software key (tests/softkey.py)
over plain HTTP: they keep the forms' rules (CSRF secret, Origin, size, who may call), a first
key keeps its session signed in and is then owed at login, and wrong answers hit the limit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.databases import BACKENDS
from tests.functional.browsing import Visitor
from tests.functional.server import LiveIndex, running_index
from tests.smtp import SmtpServer, running
from tests.softkey import SoftKey

PASSWORD = "a long enough password"  # LiveIndex.create_user's


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with running() as server:
        yield server


@pytest.fixture(scope="module", params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          smtp: SmtpServer) -> Iterator[LiveIndex]:
    root = tmp_path_factory.mktemp(f"keys-{request.param}")
    env = {"STRONGROOM_SMTP_URL": smtp.url, "STRONGROOM_TWO_FACTOR_RATE": "3/minute"}
    with running_index(request.param, root, extra_env=env, public_host="localhost") as live:
        yield live


def _origin(index: LiveIndex) -> str:
    return f"http://localhost:{index.port}"


def _call(visitor: Visitor, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    return visitor.client.post(path, content=json.dumps(body), headers={
        "Content-Type": "application/json", "X-CSRF-Token": visitor.csrf, **headers})


def _signed_in(index: LiveIndex, username: str) -> Visitor:
    index.create_user(username)
    visitor = Visitor(_origin(index))
    assert visitor.login(username, PASSWORD).status_code == 303
    visitor.get("/account/keys")
    return visitor


def _add(visitor: Visitor, key: SoftKey, name: str) -> httpx.Response:
    options = _call(visitor, "/account/keys/options", {"name": name})
    assert options.status_code == 200, options.text
    return _call(visitor, "/account/keys/verify",
                 {"name": name, "credential": key.create(options.text)})


def test_the_calls_keep_the_forms_rules(index: LiveIndex) -> None:
    visitor = _signed_in(index, "fern")
    try:
        path, body = "/account/keys/options", {"name": "Blue"}
        assert _call(visitor, path, body, **{"X-CSRF-Token": ""}).status_code == 403
        other = _call(visitor, path, body, Origin="https://evil.example")
        assert other.status_code == 403
        assert "another site" in other.json()["error"]
        as_form = visitor.client.post(path, data=body,
                                      headers={"X-CSRF-Token": visitor.csrf})
        assert as_form.status_code == 400
        assert _call(visitor, path, {"name": "x" * 70_000}).status_code == 413
        assert _call(visitor, path, {"name": ""}).status_code == 400
        assert _call(visitor, path, body, Origin=_origin(index)).status_code == 200
        # Without the script, the page's form says what is missing.
        visitor.get("/account/keys")
        plain = visitor.post("/account/keys", {"action": "add", "name": "Blue"})
        assert plain.status_code == 400
        assert "needs JavaScript" in plain.text
        # Nobody is waiting for a second factor in this session.
        assert _call(visitor, "/account/two-factor/key/options", {}).status_code == 403
        anonymous = Visitor(_origin(index))
        answer = _call(anonymous, path, body)
        assert answer.status_code == 403
        assert answer.json()["redirect"] == "/account/login"
        anonymous.close()
    finally:
        visitor.close()


def test_a_first_key_keeps_its_session_and_is_owed_at_login(index: LiveIndex) -> None:
    visitor = _signed_in(index, "gus")
    key = SoftKey(_origin(index))
    added = _add(visitor, key, "Blue")
    assert added.json() == {"redirect": "/account/keys?added=1"}, added.text
    assert visitor.signed_in_as == "gus"  # the factor was just proven here
    assert _add(visitor, key, "Again").status_code == 409  # one key, once
    visitor.close()
    login = Visitor(_origin(index))
    try:
        assert login.login("gus", PASSWORD).headers["location"].startswith(
            "/account/two-factor")
        page = login.get("/account/two-factor")
        assert 'id="use-key"' in page.text
        assert 'src="/static/webauthn.js"' in page.text
        options = _call(login, "/account/two-factor/key/options", {})
        signed = _call(login, "/account/two-factor/key/verify",
                       {"credential": key.get(options.text), "next": "//evil.example/"})
        assert signed.json() == {"redirect": "/account/"}  # never another site
        assert login.signed_in_as == "gus"
    finally:
        login.close()


def test_wrong_answers_hit_the_limit(index: LiveIndex) -> None:
    owner = _signed_in(index, "hana")
    _add(owner, SoftKey(_origin(index)), "Blue")
    owner.close()
    visitor = Visitor(_origin(index))
    try:
        visitor.login("hana", PASSWORD)
        visitor.get("/account/two-factor")
        statuses = []
        for _ in range(5):
            options = _call(visitor, "/account/two-factor/key/options", {})
            if options.status_code != 200:
                statuses.append(options.status_code)
                continue
            stranger = SoftKey(_origin(index)).get(options.text)
            statuses.append(_call(visitor, "/account/two-factor/key/verify",
                                  {"credential": stranger}).status_code)
        assert statuses == [401, 401, 401, 429, 429]
        limited = _call(visitor, "/account/two-factor/key/verify", {"credential": {}})
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) > 0
        assert visitor.signed_in_as is None
    finally:
        visitor.close()
