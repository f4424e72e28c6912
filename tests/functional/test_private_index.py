"""A private index (STRONGROOM_PRIVATE=true): no read without a token that verifies, through
every read path, cold and warm; pip and uv install with a read-only token in the index URL, in
~/.netrc or in a keyring; a read-only token never uploads; failed authentications are limited
per client address, in Redis shared by every worker."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.builders import make_sdist, make_wheel
from tests.databases import BACKENDS
from tests.functional.browsing import Visitor
from tests.functional.clients import (
    keyring_env,
    keyring_set,
    pip_install,
    twine_upload,
    uv_pip_install,
    uv_venv,
)
from tests.functional.server import LiveIndex, free_port, running_index
from tests.services import REDIS_URL, redis_client

pytestmark = pytest.mark.functional


@pytest.fixture(scope="module", params=BACKENDS)
def private(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[LiveIndex]:
    """A private index (warm reads answered in the HTTP protocol: no access log) where alice
    published 'secret-app' (depending on 'secret-lib')."""
    root = tmp_path_factory.mktemp(f"private-{request.param}")
    with running_index(request.param, root, extra_env={"STRONGROOM_PRIVATE": "true"},
                       access_log=False) as live:
        live.create_user("alice")
        dist = root / "dist"
        dist.mkdir()
        files = [make_wheel(dist, "secret-lib", "1.0"), make_sdist(dist, "secret-lib", "1.0"),
                 make_wheel(dist, "secret-app", "1.0", deps=("secret-lib>=1.0",))]
        twine_upload(live.url, live.token("alice"), files, dist)
        yield live


@pytest.fixture(scope="module")
def reader(private: LiveIndex) -> str:
    """A read-only, account-wide token of alice's."""
    return private.token("alice", "--read-only", "--description", "CI installs")


def _basic(token: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"__token__:{token}".encode()).decode()}


def _from(address: str) -> httpx.Client:
    """A client whose connections come from ``address`` (any of 127.0.0.0/8 reaches the
    server on 127.0.0.1), so that a test's failed authentications count against an address
    of its own (the default limit is 30 a minute; the keyring test's clients fail 11 times
    from 127.0.0.1)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address))


def _reads(index: LiveIndex, token: str) -> list[tuple[str, dict[str, str]]]:
    """Every kind of read of 'secret-lib', found with ``token``: pages in both formats, the
    list, JSON API documents, the wheel, its metadata file, the sdist and a revalidation."""
    page = httpx.get(f"{index.url}/simple/secret-lib/", headers={
        **_basic(token), "Accept": "application/vnd.pypi.simple.v1+json"})
    assert page.status_code == 200, page.text
    files = page.json()["files"]
    wheel = next(f["url"] for f in files if f["filename"].endswith(".whl"))
    sdist = next(f["url"] for f in files if f["filename"].endswith(".tar.gz"))
    wheel_url = str(httpx.URL(f"{index.url}/simple/secret-lib/").join(wheel)).split("#")[0]
    sdist_url = str(httpx.URL(f"{index.url}/simple/secret-lib/").join(sdist)).split("#")[0]
    return [
        (f"{index.url}/simple/", {}),
        (f"{index.url}/simple/secret-lib/", {}),
        (f"{index.url}/simple/secret-lib/", {"Accept": "application/vnd.pypi.simple.v1+json"}),
        (f"{index.url}/simple/secret-lib/", {"If-None-Match": page.headers["etag"],
                                             "Accept": "application/vnd.pypi.simple.v1+json"}),
        (f"{index.url}/pypi/secret-lib/json", {}),
        (f"{index.url}/pypi/secret-lib/1.0/json", {}),
        (wheel_url, {}),
        (wheel_url + ".metadata", {}),
        (wheel_url, {"Range": "bytes=0-9"}),
        (sdist_url, {}),
    ]


def test_anonymous_reads_are_refused_on_every_path_cold_and_warm(private: LiveIndex,
                                                                 reader: str) -> None:
    reads = _reads(private, reader)
    with httpx.Client() as client:
        # Warm every cache with the token, then ask without it, twice.
        allowed = [client.get(url, headers={**headers, **_basic(reader)}) for url, headers in reads]
        assert [r.status_code for r in allowed] == [200, 200, 200, 304, 200, 200, 200, 200, 206,
                                                    200]
        # No shared cache (nginx's, a CDN) may keep what a token holder was sent.
        for response in allowed:
            directives = {d.strip() for d in response.headers["cache-control"].split(",")}
            assert "private" in directives, response.url
            assert "public" not in directives, response.url
        for _ in range(2):
            for url, headers in reads:
                response = client.get(url, headers=headers)
                assert response.status_code == 401, url
                assert response.headers["www-authenticate"] == 'Basic realm="strongroom"'
                assert "secret" not in response.text
                head = client.head(url, headers=headers)
                assert head.status_code == 401, url


def test_bad_credentials_are_refused_and_scoped_tokens_read_only_their_project(
        private: LiveIndex, reader: str) -> None:
    scoped = private.token("alice", "--read-only", "--project", "secret-app")
    forged = reader[:-6] + "AAAAAA"
    cases = [
        (f"{private.url}/simple/secret-lib/", _basic(forged), 401),
        (f"{private.url}/simple/secret-lib/", _basic("not-a-token"), 401),
        (f"{private.url}/simple/secret-lib/",
         {"Authorization": "Basic " + base64.b64encode(b"alice:password").decode()}, 401),
        (f"{private.url}/simple/secret-app/", _basic(scoped), 200),
        (f"{private.url}/simple/secret-lib/", _basic(scoped), 403),
        (f"{private.url}/simple/", _basic(scoped), 403),
        (f"{private.url}/simple/secret-lib/", {"Authorization": f"Bearer {reader}"}, 200),
    ]
    with _from("127.0.0.11") as client:
        for url, headers, status in cases * 2:  # cold, then with the verdicts remembered
            assert client.get(url, headers=headers).status_code == status, (url, headers)


def test_pip_and_uv_install_with_the_token_in_the_url(private: LiveIndex, reader: str,
                                                      tmp_path: Path) -> None:
    with_token = private.url.replace("http://", f"http://__token__:{reader}@")
    target = tmp_path / "site"
    pip_install(with_token, tmp_path, "--target", str(target), "secret-app")
    assert sorted(p.name for p in target.glob("*.dist-info")) == [
        "secret_app-1.0.dist-info", "secret_lib-1.0.dist-info"]
    venv = uv_venv(tmp_path)
    uv_pip_install(with_token, venv, tmp_path, "secret-app")
    assert sorted(p.name for p in (venv / "lib").glob("python*/site-packages/*.dist-info")) == [
        "secret_app-1.0.dist-info", "secret_lib-1.0.dist-info"]
    anonymous = pip_install(private.url, tmp_path, "--target", str(tmp_path / "none"),
                            "secret-app", check=False)
    assert anonymous.returncode != 0
    assert "401" in anonymous.stdout + anonymous.stderr


def test_pip_installs_with_the_token_in_netrc(private: LiveIndex, reader: str,
                                              tmp_path: Path) -> None:
    netrc = tmp_path / ".netrc"  # the clients' HOME is tmp_path
    netrc.write_text(f"machine 127.0.0.1\nlogin __token__\npassword {reader}\n")
    netrc.chmod(0o600)
    target = tmp_path / "site"
    pip_install(private.url, tmp_path, "--target", str(target), "secret-lib")
    assert [p.name for p in target.glob("*.dist-info")] == ["secret_lib-1.0.dist-info"]


def test_pip_and_uv_install_with_the_token_in_a_keyring(private: LiveIndex, reader: str,
                                                         tmp_path: Path) -> None:
    """The keyring alone holds the token: the index URL names only the user, HOME and NETRC
    are an empty folder, and the clients ask the ``keyring`` command (``--keyring-provider
    subprocess``), whose file backend lives in tmp_path. With the keyring empty both fail."""
    keyring = keyring_env(tmp_path)
    user_only = private.url.replace("http://", "http://__token__@")
    provider = ("--keyring-provider", "subprocess")
    venv = uv_venv(tmp_path)
    refused = [
        pip_install(user_only, tmp_path, *provider, "--target", str(tmp_path / "none"),
                    "secret-app", env=keyring, check=False),
        uv_pip_install(user_only, venv, tmp_path, *provider, "secret-app", env=keyring,
                       check=False),
    ]
    for result in refused:
        assert result.returncode != 0
        assert "401" in result.stdout + result.stderr
    # pip asks the keyring for the index URL, then its host:port; uv for those, then the
    # origin: host:port is what both ask for, and it covers the file URLs too.
    keyring_set(tmp_path, keyring, private.url.removeprefix("http://"), "__token__", reader)
    assert (tmp_path / "xdg-data" / "python_keyring" / "keyring_pass.cfg").is_file()
    target = tmp_path / "site"
    pip_install(user_only, tmp_path, *provider, "--target", str(target), "secret-app",
                env=keyring)
    assert sorted(p.name for p in target.glob("*.dist-info")) == [
        "secret_app-1.0.dist-info", "secret_lib-1.0.dist-info"]
    uv_pip_install(user_only, venv, tmp_path, *provider, "secret-app", env=keyring)
    assert sorted(p.name for p in (venv / "lib").glob("python*/site-packages/*.dist-info")) == [
        "secret_app-1.0.dist-info", "secret_lib-1.0.dist-info"]
    assert not (tmp_path / ".netrc").exists()


def test_a_read_only_token_never_uploads(private: LiveIndex, reader: str,
                                         tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "secret-lib", "2.0")
    result = twine_upload(private.url, reader, [wheel], tmp_path, check=False)
    assert result.returncode != 0
    assert "403" in result.stdout + result.stderr
    assert "read-only" in result.stdout + result.stderr
    versions = httpx.get(f"{private.url}/pypi/secret-lib/json", headers=_basic(reader)).json()
    assert list(versions["releases"]) == ["1.0"]
    assert json.dumps(versions).count("secret_lib-2.0") == 0


def test_a_signed_in_browser_reads_and_a_forged_session_does_not(private: LiveIndex,
                                                                  reader: str) -> None:
    reads = _reads(private, reader)
    browser = Visitor(private.url)
    try:
        assert browser.login("alice", "a long enough password").status_code == 303
        cookie = browser.client.cookies.get("strongroom_session", domain="127.0.0.1")
        assert cookie is not None
        for _ in range(2):  # cold, then warm with the verdict remembered
            statuses = [httpx.get(url, headers={**headers,
                                                "Cookie": f"strongroom_session={cookie}"}
                                  ).status_code for url, headers in reads]
            assert statuses == [200, 200, 200, 304, 200, 200, 200, 200, 206, 200]
        forged = "A" * len(cookie)
        with _from("127.0.0.12") as client:
            for url, headers in reads:
                refused = client.get(url, headers={**headers,
                                                   "Cookie": f"strongroom_session={forged}"})
                assert refused.status_code == 401, url
    finally:
        browser.close()


# -- failed authentications, limited per client address ----------------------------------------

FAILURES = 5  # a minute, per address, on the indexes below


def _guess(index: LiveIndex, n: int) -> str:
    """A made-up token, different for each ``n``."""
    return f"pypi-guess-{index.port}-{n:06d}"


@pytest.fixture(scope="module", params=BACKENDS)
def limited(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[LiveIndex]:
    """A private index allowing FAILURES failed authentications a minute per address, where
    alice published 'secret-lib' (a wheel and an sdist)."""
    root = tmp_path_factory.mktemp(f"limited-{request.param}")
    with running_index(request.param, root, access_log=False, extra_env={
            "STRONGROOM_PRIVATE": "true",
            "STRONGROOM_READ_AUTH_FAILURE_RATE": f"{FAILURES}/minute"}) as live:
        live.create_user("alice")
        dist = root / "dist"
        dist.mkdir()
        files = [make_wheel(dist, "secret-lib", "1.0"), make_sdist(dist, "secret-lib", "1.0")]
        twine_upload(live.url, live.token("alice"), files, dist)
        yield live


def test_past_the_limit_every_credentialed_read_gets_429(limited: LiveIndex) -> None:
    """After FAILURES wrong tokens from one address, a credentialed read from it gets 429 with
    Retry-After on every read path, whatever the credentials: a new guess, a wrong one sent
    again, a forged session, and a good token not verified yet too. The address is the unit:
    a good token cannot be told from a guess without trying it, and trying it is what the
    limit stops. A read without credentials is still asked for them (401), and another
    address reads on."""
    reads = _reads(limited, limited.token("alice", "--read-only"))
    fresh = limited.token("alice", "--read-only")  # good, and never used
    with _from("127.0.0.21") as attacker:
        assert [attacker.get(f"{limited.url}/simple/secret-lib/",
                             headers=_basic(_guess(limited, n))).status_code
                for n in range(FAILURES)] == [401] * FAILURES
        credentials = [_basic(_guess(limited, FAILURES)), _basic(_guess(limited, 0)),
                       {"Cookie": "strongroom_session=" + "A" * 43}, _basic(fresh),
                       {"Authorization": f"Bearer {fresh}"}]
        for url, headers in reads:
            for presented in credentials:
                refused = attacker.get(url, headers={**headers, **presented})
                assert refused.status_code == 429, (url, presented)
                # The rest of the limit's minute window: where in it the test runs decides.
                assert 1 <= int(refused.headers["retry-after"]) <= 60
                assert "too many failed authentications" in refused.text
                assert "secret" not in refused.text
            anonymous = attacker.get(url, headers=headers)
            assert anonymous.status_code == 401, url
            assert anonymous.headers["www-authenticate"] == 'Basic realm="strongroom"'
    with _from("127.0.0.22") as other:
        assert [other.get(url, headers={**headers, **_basic(fresh)}).status_code
                for url, headers in reads] == [200, 200, 200, 304, 200, 200, 200, 200, 206, 200]


def test_anonymous_reads_count_nothing_and_a_good_token_reads_under_the_limit(
        limited: LiveIndex) -> None:
    reader = limited.token("alice", "--read-only")
    url = f"{limited.url}/simple/secret-lib/"
    with _from("127.0.0.23") as client:
        assert {client.get(url).status_code for _ in range(3 * FAILURES)} == {401}
        assert [client.get(url, headers=_basic(_guess(limited, n))).status_code
                for n in range(FAILURES - 1)] == [401] * (FAILURES - 1)
        assert client.get(url, headers=_basic(reader)).status_code == 200
        assert client.get(f"{limited.url}/pypi/secret-lib/json",
                          headers=_basic(reader)).status_code == 200


@pytest.mark.parametrize("backend", BACKENDS)
def test_workers_share_the_count_through_redis(backend: str, tmp_path: Path,
                                               redis_prefix: str) -> None:
    """Two servers of one index, sharing a Redis: failures on either count for both."""
    redis_client().close()  # a clear failure when Redis is down
    env = {"STRONGROOM_PRIVATE": "true", "STRONGROOM_READ_AUTH_FAILURE_RATE": "4/minute",
           "STRONGROOM_REDIS_URL": REDIS_URL, "STRONGROOM_REDIS_PREFIX": redis_prefix}
    with running_index(backend, tmp_path, extra_env=env, access_log=False) as first:
        first.create_user("alice")
        second = LiveIndex(data_dir=first.data_dir, database_url=first.database_url,
                           port=free_port(), log_path=tmp_path / "second.log", extra_env=env,
                           access_log=False)
        second.start()
        try:
            fresh = first.token("alice", "--read-only")
            with _from("127.0.0.24") as client:
                statuses = [client.get(f"{worker.url}/simple/",
                                       headers=_basic(_guess(worker, n))).status_code
                            for n, worker in enumerate((first, second, first, second))]
                assert statuses == [401] * 4  # two on each worker
                for worker in (first, second):
                    for headers in (_basic(_guess(worker, 9)), _basic(fresh)):
                        refused = client.get(f"{worker.url}/simple/", headers=headers)
                        assert refused.status_code == 429, worker.url
                        # The rest of the limit's minute window: where in it the test runs decides.
                        assert 1 <= int(refused.headers["retry-after"]) <= 60
            with _from("127.0.0.25") as other:
                assert other.get(f"{second.url}/simple/", headers=_basic(fresh)
                                 ).status_code == 200
        finally:
            second.stop()
