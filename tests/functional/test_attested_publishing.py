"""Issue 17 end to end, on SQLite and PostgreSQL: a GitHub publisher for
trailofbits/pypi-attestations (release.yml), its tokens minted through a real OIDC issuer on
loopback (tests/oidc.py, trusted as the index's GitHub issuer), uploads the real
pypi_attestations-0.0.19.tar.gz with its real attestation through ``twine upload
--attestations``, and ``strongroom verify`` confirms who built it. On the way, the same file
with a byte of the attestation's signature changed, the attestation sent with another
repository's publisher token, and with a user's API token, are each refused with a 400 saying
why, and store nothing. And ``strongroom verify`` fails loudly against an index (a private
one) that serves the same file without provenance."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.attestations import FIXTURES, PRODUCTION_ROOT, SIGNED, edited
from tests.databases import BACKENDS
from tests.functional.clients import said, strongroom_verify, twine_upload
from tests.functional.server import LiveIndex, running_index
from tests.oidc import Issuer, running_issuer

pytestmark = pytest.mark.functional
DIST = SIGNED[0].dist  # pypi_attestations-0.0.19.tar.gz, by trailofbits/pypi-attestations
ATTESTATION = SIGNED[0].text  # its publish/v1 attestation, as the PyPA action writes it
SHA256 = SIGNED[0].sha256
REQUIREMENT = "pypi-attestations==0.0.19"
REFUSED = "Invalid attestations supplied during upload: "


@pytest.fixture(scope="module")
def github() -> Iterator[Issuer]:
    with running_issuer() as issuer:
        yield issuer


@pytest.fixture(params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path: Path, github: Issuer
          ) -> Iterator[LiveIndex]:
    env = {"STRONGROOM_OIDC_GITHUB_ISSUERS": github.url,
           "STRONGROOM_ATTESTATION_TRUSTED_ROOT": str(PRODUCTION_ROOT)}
    with running_index(request.param, tmp_path, extra_env=env,
                       access_log=False) as live:
        live.create_user("alice")
        yield live


def minted(index: LiveIndex, issuer: Issuer, repository: str) -> str:
    """An upload token for the GitHub workflow ``repository``/release.yml, minted from a token
    its run would get."""
    claims = issuer.github(repository=repository, workflow="release.yml", audience="127.0.0.1")
    response = httpx.post(f"{index.url}/_/oidc/mint-token",
                          json={"token": issuer.sign(claims)}, timeout=30)
    assert response.status_code == 200, response.text
    return str(response.json()["token"])


def upload(index: LiveIndex, token: str, directory: Path, attestation: str | None
           ) -> subprocess.CompletedProcess[str]:
    """twine uploads the real file (with ``--attestations`` and the attestation beside it,
    ``<file>.publish.attestation``, where the PyPA action leaves it, when one is given)."""
    directory.mkdir()
    dist = directory / DIST
    shutil.copyfile(FIXTURES / DIST, dist)
    files, extra = [dist], []
    if attestation is not None:
        beside = directory / f"{DIST}.publish.attestation"
        beside.write_text(attestation)
        files, extra = [dist, beside], ["--attestations"]
    return twine_upload(index.url, token, files, directory, *extra, check=False)


def refused_with(result: subprocess.CompletedProcess[str], reason: str) -> None:
    """twine failed on the index's 400, whose reason it shows."""
    assert result.returncode != 0
    assert "HTTPError: 400 Bad Request" in said(result)
    assert f"{REFUSED}{reason}" in said(result)


def assert_nothing_stored(index: LiveIndex) -> None:
    assert httpx.get(f"{index.url}/pypi/pypi-attestations/0.0.19/json").status_code == 404
    page = httpx.get(f"{index.url}/simple/pypi-attestations/",
                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    assert page.json()["files"] == []
    assert not list((index.data_dir / "files").rglob(SHA256))


def test_a_trusted_publisher_uploads_the_real_attestation_and_verify_confirms_it(
        index: LiveIndex, github: Issuer, tmp_path: Path) -> None:
    index.cli("admin", "publisher", "add", "pypi-attestations", "--pending", "--owner", "alice",
              "--kind", "github", "--repository", "trailofbits/pypi-attestations",
              "--workflow", "release.yml")
    token = minted(index, github, "trailofbits/pypi-attestations")  # makes the project
    index.cli("admin", "publisher", "add", "pypi-attestations", "--kind", "github",
              "--repository", "acme/other", "--workflow", "release.yml")

    tampered = upload(index, token, tmp_path / "tampered", edited(ATTESTATION, "signature", 20))
    refused_with(tampered, "Could not verify the uploaded artifact using the included "
                           "attestation: Verification failed: DSSE: invalid signature")
    assert_nothing_stored(index)

    # The other repository's publisher may upload to the project, but the attestation's
    # certificate names trailofbits/pypi-attestations.
    other = upload(index, minted(index, github, "acme/other"), tmp_path / "other", ATTESTATION)
    refused_with(other, "Could not verify the uploaded artifact using the included attestation: "
                        "Verification failed: Certificate's OIDCSourceRepositoryURI does not "
                        "match (got https://github.com/trailofbits/pypi-attestations, expected "
                        "https://github.com/acme/other)")
    assert_nothing_stored(index)

    by_user = upload(index, index.token("alice"), tmp_path / "user", ATTESTATION)
    refused_with(by_user, "Attestations are only supported when using Trusted Publishing")
    assert_nothing_stored(index)

    published = upload(index, token, tmp_path / "real", ATTESTATION)
    assert published.returncode == 0, said(published)
    page = httpx.get(f"{index.url}/simple/pypi-attestations/",
                     headers={"Accept": "application/vnd.pypi.simple.v1+json"}).json()
    [listed] = page["files"]
    assert listed["provenance"] == (f"{index.url}/integrity/pypi-attestations/0.0.19/{DIST}/"
                                    "provenance")

    verified = strongroom_verify(f"{index.url}/simple/", REQUIREMENT, tmp_path)
    assert verified.returncode == 0, said(verified)
    assert verified.stdout.splitlines() == ["\t".join([
        DIST, "GitHub", "trailofbits/pypi-attestations", "release.yml", "-", "publish/v1",
        "verified"])]
    journal = index.cli("admin", "history", "show", "--project", "pypi-attestations").stdout
    assert "publisher.used" in journal


@pytest.fixture(params=BACKENDS)
def private(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[LiveIndex]:
    with running_index(request.param, tmp_path,
                       extra_env={"STRONGROOM_PRIVATE": "true"}, access_log=False) as live:
        live.create_user("alice")
        yield live


def test_verify_fails_loudly_where_the_file_is_served_without_provenance(
        private: LiveIndex, tmp_path: Path) -> None:
    published = upload(private, private.token("alice"), tmp_path / "plain", None)
    assert published.returncode == 0, said(published)
    reader = private.token("alice", "--read-only")
    simple = f"{private.url}/simple/"

    anonymous = strongroom_verify(simple, REQUIREMENT, tmp_path)
    assert anonymous.returncode == 3
    assert "answered HTTP 401" in said(anonymous) or "answered HTTP 403" in said(anonymous)

    missing = strongroom_verify(simple, REQUIREMENT, tmp_path, "--token", reader)
    assert missing.returncode == 1
    assert (f"error: 1 of 1 file(s) of pypi-attestations 0.0.19 not verified: {DIST}: the "
            "index links no provenance for it (--allow-missing accepts that)") in said(missing)
    assert missing.stdout.split("\t")[-1].strip() == "NOT VERIFIED: no provenance"
    assert reader not in said(missing)

    allowed = strongroom_verify(f"http://__token__:{reader}@{private.url[7:]}/simple/",
                                REQUIREMENT, tmp_path, "--allow-missing")
    assert allowed.returncode == 0, said(allowed)
    assert allowed.stdout.split("\t")[-1].strip() == "no provenance (allowed)"
