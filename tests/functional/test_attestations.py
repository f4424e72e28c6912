"""PEP 740 on a live index, with real clients and the real fixtures: a distribution imported
with the provenance PyPI served for it is listed by its simple pages, fetched by pypi-simple
from the Integrity API and verified offline by pypi-attestations' own command against the
file; twine's ``--attestations`` with a user's token is refused in PyPI's words and publishes
nothing; the next release without provenance is flagged in the JSON API and the history, and
the owner is mailed.

``twine upload --attestations`` with a trusted publisher's minted token, and ``strongroom
verify`` of what it published, are in test_attested_publishing.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pypi_simple import PyPISimple

from tests.attestations import FIXTURES, PRODUCTION_ROOT, SIGNED
from tests.builders import make_sdist
from tests.databases import BACKENDS
from tests.functional.browsing import verified_member
from tests.functional.clients import BIN, twine_upload
from tests.functional.server import LiveIndex, running_index
from tests.smtp import SmtpServer, running

pytestmark = pytest.mark.functional
PASSWORD = "correct horse battery staple 42"
SIGNED_DIST = SIGNED[0]  # pypi_attestations-0.0.19.tar.gz, by trailofbits/pypi-attestations


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with running() as server:
        yield server


@pytest.fixture(params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path: Path, smtp: SmtpServer
          ) -> Iterator[LiveIndex]:
    env = {"STRONGROOM_SMTP_URL": smtp.url,
           "STRONGROOM_ATTESTATION_TRUSTED_ROOT": str(PRODUCTION_ROOT)}
    with running_index(request.param, tmp_path, extra_env=env, access_log=False) as live:
        yield live


def _import_signed(index: LiveIndex, directory: Path) -> Path:
    directory.mkdir()
    dist = directory / SIGNED_DIST.dist
    shutil.copyfile(FIXTURES / SIGNED_DIST.dist, dist)
    shutil.copyfile(FIXTURES / f"{SIGNED_DIST.dist}.provenance",
                    directory / f"{SIGNED_DIST.dist}.provenance")
    imported = index.cli("admin", "import", str(directory), "--user", "uma")
    assert "imported 1 (0 with warnings)" in imported.stderr
    return dist


def test_provenance_from_import_to_clients_and_a_release_that_lost_it(
        index: LiveIndex, smtp: SmtpServer, tmp_path: Path) -> None:
    verified_member(index.url, smtp, "uma", PASSWORD).close()
    dist = _import_signed(index, tmp_path / "incoming")
    url = (f"{index.url}/integrity/pypi-attestations/0.0.19/{SIGNED_DIST.dist}/provenance")

    # pypi-simple finds the link on both serialisations and fetches the object.
    with PyPISimple(f"{index.url}/simple/") as client:
        for accept in ("application/vnd.pypi.simple.v1+json", "text/html"):
            page = client.get_project_page("pypi-attestations", accept=accept)
            package, = page.packages
            assert package.provenance_url == url
        provenance = client.get_provenance(package)
    assert provenance["attestation_bundles"][0]["publisher"]["repository"] == (
        "trailofbits/pypi-attestations")

    # pypi-attestations' own command verifies what was served against the file, offline.
    served = tmp_path / "served.provenance"
    served.write_text(json.dumps(provenance))
    checked = subprocess.run(
        [str(BIN / "pypi-attestations"), "verify", "pypi", "--offline",
         "--repository", "https://github.com/trailofbits/pypi-attestations",
         "--provenance-file", str(served), str(dist)],
        capture_output=True, text=True, timeout=120, check=False,
        env={"PATH": str(BIN), "XDG_CACHE_HOME": str(tmp_path / "cache"),
             "HOME": str(tmp_path)})
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"OK: {SIGNED_DIST.dist}" in checked.stdout + checked.stderr

    # twine --attestations with a user's token: refused, nothing published.
    token = index.token("uma")
    upload = tmp_path / "upload"
    sdist = make_sdist(upload, "pypi-attestations", "0.0.20")
    attestation = upload / f"{sdist.name}.publish.attestation"
    attestation.write_text(SIGNED_DIST.text)
    refused = twine_upload(index.url, token, [sdist, attestation], upload, "--attestations",
                           check=False)
    assert refused.returncode != 0
    said = " ".join((refused.stdout + refused.stderr).split())  # twine wraps its lines
    assert ("Invalid attestations supplied during upload: Attestations are only supported "
            "when using Trusted Publishing") in said
    assert httpx.get(f"{index.url}/pypi/pypi-attestations/0.0.20/json").status_code == 404

    # Without them it is an ordinary upload: published, flagged, and its owner is told.
    before = len(smtp.messages)
    twine_upload(index.url, token, [sdist], upload)
    document = httpx.get(f"{index.url}/pypi/pypi-attestations/json").json()
    assert document["releases"]["0.0.20"][0]["provenance_change"] == {
        "change": "lost", "previous_version": "0.0.19"}
    assert "provenance_change" not in document["releases"]["0.0.19"][0]
    mail = smtp.wait_for(before + 1)[-1]
    assert (mail["To"], mail["Subject"]) == ("uma@example.org",
                                             "Provenance of pypi-attestations 0.0.20 lost")
    assert f"{sdist.name} was published without provenance" in mail.get_content()
    history = index.cli("admin", "history", "show", "--project", "pypi-attestations").stdout
    assert "provenance.lost" in history
    missing = httpx.get(f"{index.url}/integrity/pypi-attestations/0.0.20/{sdist.name}/"
                        "provenance")
    assert (missing.status_code, missing.json()) == (
        404, {"message": f"No provenance available for {sdist.name}"})
