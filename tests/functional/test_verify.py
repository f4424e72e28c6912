"""``strongroom verify`` against indexes that serve exactly what each test gives them
(tests/staticindex.py): the real pypi_attestations 0.0.19 with the provenance PyPI served for
it verifies; every way an index can serve something else (a changed byte in the file or the
signature, another publisher's or another file's provenance, a provenance linked but not
served, a second bundle that does not verify, more bytes than the page says, none at all) fails
loudly, naming the file and why; credentials go to the index and nowhere else; a slow index is
given up on; and a release that cannot be read exits with the CLI's codes."""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.attestations import FIXTURES, SIGNED, edited
from tests.functional.clients import said, strongroom_verify
from tests.staticindex import Route, StaticIndex, serving_static

pytestmark = pytest.mark.functional
DIST = SIGNED[0].dist  # pypi_attestations-0.0.19.tar.gz, by trailofbits/pypi-attestations
CONTENT = SIGNED[0].content
SHA256 = SIGNED[0].sha256
PROVENANCE = json.loads((FIXTURES / f"{DIST}.provenance").read_text())
PAGE = "/simple/pypi-attestations/"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
REQUIREMENT = "pypi-attestations==0.0.19"


@pytest.fixture
def index() -> Iterator[StaticIndex]:
    with serving_static() as served:
        yield served


def publish(index: StaticIndex, *, content: bytes = CONTENT, provenance: object = PROVENANCE,
            link: bool = True, size: int = len(CONTENT), files_at: str = "") -> None:
    """Serve the page for pypi-attestations 0.0.19, its file (``files_at``: on another server)
    and its provenance (``provenance``: an object, or None for an index that has none)."""
    entry: dict[str, object] = {
        "filename": DIST, "url": f"{files_at}/files/{DIST}", "hashes": {"sha256": SHA256},
        "size": size, "provenance": f"/integrity/{DIST}/provenance" if link else None}
    index.routes[PAGE] = Route(200, json.dumps({"meta": {"api-version": "1.4"},
                                                "name": "pypi-attestations",
                                                "files": [entry]}).encode(), SIMPLE_JSON)
    index.routes[f"/files/{DIST}"] = Route(200, content)
    if provenance is not None:
        index.routes[f"/integrity/{DIST}/provenance"] = Route(
            200, json.dumps(provenance).encode(), "application/vnd.pypi.integrity.v1+json")


def rows(stdout: str) -> list[list[str]]:
    """The table's rows (tab-separated, as the command prints them off a terminal)."""
    return [line.split("\t") for line in stdout.splitlines()]


def test_the_real_release_verifies_and_the_table_says_who_built_it(index: StaticIndex,
                                                                   tmp_path: Path) -> None:
    publish(index)
    result = strongroom_verify(f"{index.url}/simple/", REQUIREMENT, tmp_path)
    assert result.returncode == 0, said(result)
    assert rows(result.stdout) == [[DIST, "GitHub", "trailofbits/pypi-attestations",
                                    "release.yml", "-", "publish/v1", "verified"]]
    assert "1 of 1 file(s) of pypi-attestations 0.0.19 verified" in result.stderr


def test_an_environment_is_shown_as_the_index_says_it_for_no_certificate_names_one(
        index: StaticIndex, tmp_path: Path) -> None:
    # Sigstore's certificates for GitHub and GitLab carry no deployment environment, so a
    # bundle's "environment" is the index's word: shown, never taken as verified.
    publish(index, provenance={"version": 1, "attestation_bundles": [_bundle(environment="pypi")]})
    result = strongroom_verify(f"{index.url}/simple/", REQUIREMENT, tmp_path)
    assert result.returncode == 0, said(result)
    assert rows(result.stdout)[0][4] == "pypi (index's word)"


def _bundle(**publisher: object) -> dict[str, object]:
    bundle = PROVENANCE["attestation_bundles"][0]
    return {**bundle, "publisher": {**bundle["publisher"], **publisher}}


def _attestation(text: str) -> dict[str, object]:
    return {"version": 1, "attestation_bundles": [
        {**PROVENANCE["attestation_bundles"][0], "attestations": [json.loads(text)]}]}


TAMPERED = CONTENT[:100] + bytes([CONTENT[100] ^ 1]) + CONTENT[101:]
GITLAB = SIGNED[3]
HOSTILE = {
    "signature": ({"provenance": _attestation(edited(SIGNED[0].text, "signature", 20))},
                  "its provenance does not verify: verification failed: DSSE: invalid signature"),
    "file": ({"content": TAMPERED},
             f"its sha256 is {hashlib.sha256(TAMPERED).hexdigest()}, the page says {SHA256}"),
    "other-publisher": ({"provenance": {"version": 1,
                                        "attestation_bundles": [_bundle(repository="acme/other")]}},
                        "OIDCSourceRepositoryURI does not match"),
    "another-files": ({"provenance": {"version": 1, "attestation_bundles": [{
        "publisher": {"kind": "GitLab", "repository": "facutuesca/gitlab-oidc-project",
                      "workflow_filepath": ".gitlab-ci.yml", "environment": None},
        "attestations": [json.loads(GITLAB.text)]}]}},
        "subject does not match distribution name"),
    "second-bundle": ({"provenance": {"version": 1, "attestation_bundles": [
        _bundle(), _bundle(workflow="other.yml")]}}, "verification failed"),
    "not-served": ({"provenance": None},
                   "the page links provenance but the index answered HTTP 404 (Not Found)"),
    "longer": ({"size": len(CONTENT) - 1},
               f"the index sent more than the {len(CONTENT) - 1} bytes its page gives"),
    "none": ({"link": False}, "the index links no provenance for it (--allow-missing "
                              "accepts that)"),
}


@pytest.mark.parametrize("case", HOSTILE, ids=str)
def test_whatever_else_an_index_serves_fails_loudly(index: StaticIndex, tmp_path: Path,
                                                    case: str) -> None:
    served, reason = HOSTILE[case]
    publish(index, **served)
    result = strongroom_verify(f"{index.url}/simple/", REQUIREMENT, tmp_path)
    assert result.returncode == 1, said(result)
    assert f"error: 1 of 1 file(s) of pypi-attestations 0.0.19 not verified: {DIST}: " in (
        said(result))
    assert reason in said(result)
    verdict = rows(result.stdout)[0][-1]
    assert verdict.startswith("NOT VERIFIED")


def test_allow_missing_accepts_a_file_without_provenance_but_still_checks_its_digest(
        index: StaticIndex, tmp_path: Path) -> None:
    publish(index, link=False)
    result = strongroom_verify(f"{index.url}/simple/", REQUIREMENT, tmp_path, "--allow-missing")
    assert result.returncode == 0, said(result)
    assert rows(result.stdout) == [[DIST, "-", "-", "-", "-", "-", "no provenance (allowed)"]]
    assert "0 of 1 file(s) of pypi-attestations 0.0.19 verified" in result.stderr
    publish(index, link=False, content=TAMPERED)
    again = strongroom_verify(f"{index.url}/simple/", REQUIREMENT, tmp_path, "--allow-missing")
    assert again.returncode == 1
    assert "its sha256 is" in said(again)


def test_credentials_go_to_the_index_and_never_to_a_file_host_elsewhere(
        index: StaticIndex, tmp_path: Path) -> None:
    with serving_static() as files:
        publish(index, files_at=files.url)
        publish(files)
        by_option = strongroom_verify(f"{index.url}/simple/", REQUIREMENT, tmp_path,
                                      env={"STRONGROOM_INDEX_TOKEN": "secret-token"})
        in_url = strongroom_verify(f"http://__token__:url-token@{index.url[7:]}/simple/",
                                   REQUIREMENT, tmp_path)
    assert (by_option.returncode, in_url.returncode) == (0, 0), said(by_option) + said(in_url)
    basic = "Basic X190b2tlbl9fOnNlY3JldC10b2tlbg=="  # __token__:secret-token
    from_url = "Basic X190b2tlbl9fOnVybC10b2tlbg=="  # __token__:url-token
    assert index.seen == [(PAGE, basic), (f"/integrity/{DIST}/provenance", basic),
                          (PAGE, from_url), (f"/integrity/{DIST}/provenance", from_url)]
    assert files.seen == [(f"/files/{DIST}", None)] * 2
    assert "url-token" not in said(in_url)  # the URL is shown without its credentials
    assert f"{DIST}\tGitHub" in in_url.stdout


def test_a_slow_file_is_given_up_on(index: StaticIndex, tmp_path: Path) -> None:
    publish(index)
    # The file would take 60 s; with --timeout 1 the command gives up long before, with time
    # to spare for a loaded machine starting the process (it took 5.7 s once under load).
    index.routes[f"/files/{DIST}"] = Route(200, CONTENT, delay=60)
    started = time.monotonic()
    result = strongroom_verify(f"{index.url}/simple/", REQUIREMENT, tmp_path, "--timeout", "1")
    assert time.monotonic() - started < 30
    assert result.returncode == 1
    assert f"{DIST}: could not download it: " in said(result)


def test_a_release_that_cannot_be_read_exits_with_the_clis_codes(index: StaticIndex,
                                                                 tmp_path: Path) -> None:
    def verify(requirement: str = REQUIREMENT, url: str = f"{index.url}/simple/",
               *extra: str) -> tuple[int, str]:
        result = strongroom_verify(url, requirement, tmp_path, *extra)
        return result.returncode, said(result)

    publish(index)
    assert verify("pypi-attestations==0.0.20") == (4, (
        f"error: pypi-attestations 0.0.20 has no files at {index.url}/simple/"
        "pypi-attestations/ (versions there: 0.0.19)"))
    code, words = verify("nothing-here==1.0")
    assert (code, words.startswith("error: no project 'nothing-here'")) == (4, True)
    code, words = verify(url=f"{index.url}/")
    assert (code, "--index is the simple index's URL" in words) == (4, True)
    assert verify("pypi-attestations")[0] == 2
    assert verify("pypi-attestations==not.a.version")[0] == 2
    code, words = verify(url="ftp://__token__:s3cret@example.org/simple/")
    assert (code, "'ftp://example.org/simple/' is not an http(s) URL" in words) == (2, True)
    assert "s3cret" not in words
    index.routes[PAGE] = Route(200, b"<html></html>", "text/html")
    code, words = verify()
    assert (code, "not PEP 691's JSON" in words) == (2, True)
    index.routes[PAGE] = Route(401, b'{"message": "Access denied"}', "application/json")
    code, words = verify()
    assert (code, "answered HTTP 401 (Access denied), with no credentials" in words) == (3, True)
    index.routes[PAGE] = Route(503, b"")
    assert verify()[0] == 6
    with serving_static() as stopped:
        unreachable = stopped.url  # nothing listens there once the server has stopped
    code, words = verify(url=f"{unreachable}/simple/")
    assert (code, f"could not reach the index at {unreachable}/simple/pypi-attestations/"
            in words) == (6, True)
