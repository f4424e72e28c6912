"""Trusted publishing end to end: a live index trusts real OIDC issuers on loopback
(tests/oidc.py) shaped like GitHub Actions and GitLab CI; a CI job's token is exchanged at
/_/oidc/mint-token and the upload token minted is used by real twine. Every refusal is a 4xx
with PyPI's code, never a 5xx, and comes quickly even when the issuer is down or slow."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization

from tests.builders import make_wheel
from tests.databases import BACKENDS
from tests.functional.clients import twine_upload
from tests.functional.server import LiveIndex, running_index
from tests.oidc import RSA_KID, Issuer, running_issuer

pytestmark = pytest.mark.functional
AUDIENCE = "127.0.0.1"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def github() -> Iterator[Issuer]:
    with running_issuer() as issuer:
        yield issuer


@pytest.fixture(scope="module")
def gitlab() -> Iterator[Issuer]:
    with running_issuer() as issuer:
        yield issuer


@pytest.fixture(scope="module")
def slow() -> Iterator[Issuer]:
    with running_issuer() as issuer:
        issuer.delay = 4
        yield issuer


DOWN = f"http://127.0.0.1:{closed_port()}"


@pytest.fixture(scope="module", params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
          github: Issuer, gitlab: Issuer, slow: Issuer) -> Iterator[LiveIndex]:
    env = {"STRONGROOM_OIDC_GITHUB_ISSUERS": github.url,
           "STRONGROOM_OIDC_GITLAB_ISSUERS": gitlab.url,
           "STRONGROOM_OIDC_OTHER_ISSUERS": f"Slow={slow.url},Down={DOWN}",
           "STRONGROOM_OIDC_TIMEOUT": "1"}
    root = tmp_path_factory.mktemp(f"oidc-{request.param}")
    with running_index(request.param, root, extra_env=env) as live:
        live.create_user("alice")
        yield live


def mint(index: LiveIndex, token: str, **extra: object) -> httpx.Response:
    response = httpx.post(f"{index.url}/_/oidc/mint-token", json={"token": token, **extra},
                          timeout=30)
    assert response.status_code < 500, response.text
    return response


def refused_with(response: httpx.Response, code: str) -> str:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["message"] == "Token request failed"
    [error] = body["errors"]
    assert error["code"] == code, body
    return str(error["description"])


def add_publisher(index: LiveIndex, project: str, *args: str) -> int:
    result = index.cli("admin", "publisher", "add", project, *args)
    found = re.search(r"publisher (\d+)", result.stderr)
    assert found, result.stderr
    return int(found.group(1))


def github_token(issuer: Issuer, repository: str, **claims: object) -> str:
    return issuer.sign(issuer.github(repository=repository, workflow="release.yml",
                                     audience=AUDIENCE, **claims))


def test_audience_and_discovery(index: LiveIndex) -> None:
    assert httpx.get(f"{index.url}/_/oidc/audience").json() == {"audience": AUDIENCE}
    found = httpx.get(f"{index.url}/.well-known/pytp", params={"discover": "/legacy/"},
                      headers={"Accept": "application/vnd.pypi.pytp.v1+json"})
    assert found.status_code == 200
    assert found.headers["content-type"] == "application/vnd.pypi.pytp.v1+json"
    assert found.json()["token-mint-endpoint"] == f"{index.url}/_/oidc/mint-token"
    assert found.json()["audience-endpoint"] == f"{index.url}/_/oidc/audience"
    assert found.json()["default-features"] == ["multi-use-token"]
    wrong_type = httpx.get(f"{index.url}/.well-known/pytp?discover=%2Flegacy%2F",
                           headers={"Accept": "text/html"})
    assert wrong_type.status_code == 406
    assert wrong_type.headers["content-type"] == "application/problem+json"
    assert wrong_type.json()["status"] == 406
    other = httpx.get(f"{index.url}/.well-known/pytp?discover=%2Fupload%2F")
    assert other.status_code == 404


def test_a_github_workflow_mints_and_twine_uploads(index: LiveIndex, github: Issuer,
                                                   tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    twine_upload(index.url, index.token("alice"), [make_wheel(dist, "tp-demo", "1.0")], dist)
    add_publisher(index, "tp-demo", "--kind", "github", "--repository", "acme/tp-demo",
                  "--workflow", "release.yml", "--owner-id", "1234")
    oidc_token = github_token(github, "acme/tp-demo")
    response = mint(index, oidc_token)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["success"] is True
    assert 899 <= body["expires"] - time.time() <= 901
    twine_upload(index.url, body["token"], [make_wheel(dist, "tp-demo", "1.1")], dist)
    page = httpx.get(f"{index.url}/simple/tp-demo/").text
    assert "tp_demo-1.1-py3-none-any.whl" in page
    assert refused_with(mint(index, oidc_token), "invalid-reuse-token") == \
        "invalid token: already used"
    # The alias PyPI keeps for the first clients answers the same.
    again = httpx.post(f"{index.url}/_/oidc/github/mint-token",
                       json={"token": github_token(github, "acme/tp-demo")})
    assert again.status_code == 200
    history = index.cli("admin", "history", "show", "--project", "tp-demo").stdout
    used = next(line for line in history.splitlines() if "\tpublisher.used\t" in line)
    assert '"run_id":"4242"' in used
    assert "publisher.minted" in history
    assert "publisher.added" in history


def test_a_token_for_one_project_is_refused_on_another(index: LiveIndex, github: Issuer,
                                                       tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    for name in ("tp-a", "tp-b"):
        twine_upload(index.url, index.token("alice"), [make_wheel(dist, name, "1.0")], dist)
    add_publisher(index, "tp-a", "--kind", "github", "--repository", "acme/tp-a",
                  "--workflow", "release.yml")
    minted = mint(index, github_token(github, "acme/tp-a")).json()["token"]
    refused = twine_upload(index.url, minted, [make_wheel(dist, "tp-b", "1.1")], dist,
                           check=False)
    assert refused.returncode != 0
    assert "403" in refused.stdout + refused.stderr
    assert "not valid for project 'tp-b'" in " ".join(refused.stdout.split())
    # Nor may it make a project of its own.
    new = twine_upload(index.url, minted, [make_wheel(dist, "tp-brand-new", "1.0")], dist,
                       check=False)
    assert new.returncode != 0
    assert "not valid for project 'tp-brand-new'" in " ".join(new.stdout.split())


def test_a_removed_publishers_token_is_refused(index: LiveIndex, github: Issuer,
                                               tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    dist.mkdir()
    twine_upload(index.url, index.token("alice"), [make_wheel(dist, "tp-gone", "1.0")], dist)
    publisher_id = add_publisher(index, "tp-gone", "--kind", "github", "--repository",
                                 "acme/tp-gone", "--workflow", "release.yml")
    minted = mint(index, github_token(github, "acme/tp-gone")).json()["token"]
    index.cli("admin", "publisher", "remove", "tp-gone", str(publisher_id))
    refused = twine_upload(index.url, minted, [make_wheel(dist, "tp-gone", "1.1")], dist,
                           check=False)
    assert refused.returncode != 0
    assert "trusted publisher was removed" in " ".join(refused.stdout.split())
    refused_with(mint(index, github_token(github, "acme/tp-gone")), "invalid-publisher")


def test_a_pending_gitlab_publisher_makes_its_project(index: LiveIndex, gitlab: Issuer,
                                                      tmp_path: Path) -> None:
    index.cli("admin", "publisher", "add", "TP-Fresh", "--pending", "--owner", "alice",
              "--kind", "gitlab", "--repository", "group/fresh", "--workflow",
              ".gitlab-ci.yml")
    wrong_file = gitlab.sign(gitlab.gitlab(project_path="group/fresh", ci_file="other.yml",
                                           audience=AUDIENCE))
    assert "ci_config_ref_uri" in refused_with(mint(index, wrong_file), "invalid-publisher")
    token = gitlab.sign(gitlab.gitlab(project_path="group/fresh", ci_file=".gitlab-ci.yml",
                                      audience=AUDIENCE))
    response = mint(index, token)
    assert response.status_code == 200, response.text
    dist = tmp_path / "dist"
    dist.mkdir()
    twine_upload(index.url, response.json()["token"], [make_wheel(dist, "tp-fresh", "1.0")],
                 dist)
    shown = index.cli("admin", "project", "show", "tp-fresh").stdout
    assert "alice" in shown
    listed = index.cli("admin", "publisher", "list", "tp-fresh").stdout
    assert "GitLab publisher group/fresh (.gitlab-ci.yml)" in listed


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@pytest.mark.parametrize("case", ["expired", "audience", "none", "hs256", "kid", "garbage",
                                  "stranger", "body", "json"])
def test_bad_tokens_get_pypis_codes(index: LiveIndex, github: Issuer, case: str) -> None:
    claims = github.github(repository="acme/tp-demo", workflow="release.yml", audience=AUDIENCE)
    signing_input = (f"{_b64(json.dumps({'alg': 'HS256', 'kid': RSA_KID}).encode())}."
                     f"{_b64(json.dumps(claims).encode())}")
    public = github.rsa_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    tokens = {
        "expired": github.sign(claims | {"exp": int(time.time()) - 100,
                                         "iat": int(time.time()) - 1000}),
        "audience": github.sign(claims | {"aud": "pypi"}),
        "none": f"{_b64(json.dumps({'alg': 'none'}).encode())}."
                f"{_b64(json.dumps(claims).encode())}.",
        "hs256": f"{signing_input}."
                 f"{_b64(hmac.new(public, signing_input.encode(), hashlib.sha256).digest())}",
        "kid": github.sign(claims, kid="unknown-key"),
        "garbage": "eyJ.not.a.jwt",
        "stranger": github.sign(claims | {"iss": "https://token.actions.githubusercontent.com"}),
    }
    if case == "body":
        response = httpx.post(f"{index.url}/_/oidc/mint-token",
                              content=b'{"token": "' + b"x" * 70000 + b'"}')
        assert refused_with(response, "invalid-payload").startswith("the body is longer")
        return
    if case == "json":
        response = httpx.post(f"{index.url}/_/oidc/mint-token", content=b"[1, 2]")
        refused_with(response, "invalid-payload")
        return
    code = "invalid-payload" if case in ("garbage", "stranger") else "invalid-token"
    refused_with(mint(index, tokens[case]), code)


@pytest.mark.parametrize("which", ["down", "slow"])
def test_an_issuer_down_or_slow_is_a_quick_422(index: LiveIndex, slow: Issuer,
                                               which: str) -> None:
    url = DOWN if which == "down" else slow.url
    claims = slow.base(AUDIENCE, sub="pipeline") | {"iss": url}
    started = time.monotonic()
    description = refused_with(mint(index, slow.sign(claims)), "invalid-token")
    assert time.monotonic() - started < 3
    assert "could not fetch the issuer's keys" in description


def test_an_index_without_trusted_publishing(tmp_path: Path, github: Issuer) -> None:
    env = {"STRONGROOM_TRUSTED_PUBLISHING": "false",
           "STRONGROOM_OIDC_GITHUB_ISSUERS": github.url}
    with running_index("sqlite", tmp_path, extra_env=env) as live:
        audience = httpx.get(f"{live.url}/_/oidc/audience")
        assert audience.status_code == 403
        assert audience.json() == {"message": "Trusted publishing functionality not enabled"}
        refused_with(mint(live, github_token(github, "acme/x")), "not-enabled")
        assert httpx.get(f"{live.url}/.well-known/pytp?discover=%2Flegacy%2F").status_code == 404


def test_failed_exchanges_are_limited_per_address(tmp_path: Path, github: Issuer) -> None:
    """Past mint_failure_rate an address gets 429 with Retry-After, even with a good token,
    which is not looked at; another address mints on."""
    env = {"STRONGROOM_OIDC_GITHUB_ISSUERS": github.url, "STRONGROOM_MINT_FAILURE_RATE": "3/minute"}
    with running_index("sqlite", tmp_path, extra_env=env) as live:
        live.create_user("alice")
        live.cli("admin", "project", "create", "tp-limited", "--owner", "alice")
        add_publisher(live, "tp-limited", "--kind", "github", "--repository", "acme/tp-limited",
                      "--workflow", "release.yml")
        url = f"{live.url}/_/oidc/mint-token"
        guesser = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.21"))
        other = httpx.Client(transport=httpx.HTTPTransport(local_address="127.0.0.22"))
        with guesser, other:
            for _ in range(3):
                refused_with(guesser.post(url, json={"token": "eyJ.not.a.jwt"}), "invalid-payload")
            limited = guesser.post(url, json={"token": github_token(github, "acme/tp-limited")})
            assert limited.status_code == 429, limited.text
            assert 0 < int(limited.headers["retry-after"]) <= 60
            assert limited.json()["errors"][0]["code"] == "rate-limited"
            good = other.post(url, json={"token": github_token(github, "acme/tp-limited")})
            assert good.status_code == 200, good.text
