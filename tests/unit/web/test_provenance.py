"""Provenance on the read side: simple pages link it (``data-provenance``, ``provenance``) for
files that have it and are unchanged for those that do not; the Integrity API serves it with
PyPI's negotiation, 404 and 406; the JSON API flags a release that lost it; a private index
guards it like every read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pypi_attestations import Provenance
from pypi_simple import ProjectPage
from tests.attestations import SIGNED, attach, verified
from tests.readside import BASE_URL, Index
from tests.unit.web.test_reads import AppClient

from strongroom.accounts import AccountService
from strongroom.attestations import PreviousRelease
from strongroom.db.engine import Database
from strongroom.domain.negotiation import INTEGRITY_V1_JSON, V1_JSON

ATTESTED = "alpha-1.0-py3-none-any.whl"
LOST = "alpha-2.0-py3-none-any.whl"
PROVENANCE_PATH = f"/integrity/alpha/1.0/{ATTESTED}/provenance"


@pytest.fixture
def index(database: Database, tmp_path: Path) -> Index:
    built = Index(database, tmp_path)
    built.release("Alpha", "1.0")
    built.release("Alpha", "2.0")
    built.release("Beta", "1.0")
    provenance = verified(SIGNED[0])
    attach(database, ATTESTED, provenance)
    attach(database, LOST, None, previous=PreviousRelease("1.0", frozenset(
        {provenance.publisher})))
    return built


@pytest.fixture
def client(index: Index) -> AppClient:
    return AppClient(index.app())


def test_simple_pages_link_the_provenance_of_files_that_have_it(client: AppClient) -> None:
    url = BASE_URL + PROVENANCE_PATH
    for accept in (V1_JSON, "text/html"):
        response = client.get("/simple/alpha/", headers={"Accept": accept})
        page = (ProjectPage.from_json_data(response.json(), str(response.url))
                if accept == V1_JSON else
                ProjectPage.from_html("alpha", response.text, str(response.url)))
        assert {p.filename: p.provenance_url for p in page.packages} == {ATTESTED: url,
                                                                         LOST: None}
    html = client.get("/simple/alpha/", headers={"Accept": "text/html"}).text
    assert html.count("data-provenance=") == 1
    assert f'data-provenance="{url}">{ATTESTED}</a>' in html


def test_a_page_without_provenance_is_as_it_was(client: AppClient) -> None:
    html = client.get("/simple/beta/", headers={"Accept": "text/html"}).text
    assert "provenance" not in html
    files = client.get("/simple/beta/", headers={"Accept": V1_JSON}).json()["files"]
    assert [f["provenance"] for f in files] == [None]
    assert client.get("/simple/beta/", headers={"Accept": V1_JSON}).json()["meta"][
        "api-version"] == "1.4"


def test_the_integrity_api_serves_the_stored_object(client: AppClient) -> None:
    response = client.get(PROVENANCE_PATH, headers={"Accept": INTEGRITY_V1_JSON})
    assert response.status_code == 200
    assert response.content == verified(SIGNED[0]).document
    assert response.headers["content-type"] == INTEGRITY_V1_JSON
    assert response.headers["vary"] == "Accept"
    assert response.headers["cache-control"] == "max-age=600, public"
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["x-content-type-options"] == "nosniff"
    bundle, = Provenance.model_validate_json(response.content).attestation_bundles
    assert bundle.publisher.kind == "GitHub"
    # No Accept (anything goes) is the v1 type, as on PyPI; application/json is its own.
    assert client.get(PROVENANCE_PATH).headers["content-type"] == INTEGRITY_V1_JSON
    plain = client.get(PROVENANCE_PATH, headers={"Accept": "application/json"})
    assert plain.headers["content-type"] == "application/json"
    assert plain.content == response.content
    assert plain.headers["etag"] != response.headers["etag"]
    again = client.get(PROVENANCE_PATH, headers={"Accept": INTEGRITY_V1_JSON,
                                                 "If-None-Match": response.headers["etag"]})
    assert (again.status_code, again.content) == (304, b"")
    assert client.head(PROVENANCE_PATH).content == b""


@pytest.mark.parametrize("path", [
    "/integrity/ALPHA/1.0/alpha-1.0-py3-none-any.whl/provenance",
    "/integrity/alpha/1.0.0/alpha-1.0-py3-none-any.whl/provenance",
])
def test_other_spellings_of_the_project_and_version(client: AppClient, path: str) -> None:
    assert client.get(path).status_code == 200


def test_what_is_not_acceptable_gets_pypis_406(client: AppClient) -> None:
    response = client.get(PROVENANCE_PATH, headers={"Accept": "text/html"})
    assert response.status_code == 406
    assert response.json() == {"message": "Request not acceptable"}


@pytest.mark.parametrize(("path", "filename"), [
    (f"/integrity/alpha/2.0/{LOST}/provenance", LOST),  # a file without
    (f"/integrity/alpha/2.0/{ATTESTED}/provenance", ATTESTED),  # another release's file
    (f"/integrity/beta/1.0/{ATTESTED}/provenance", ATTESTED),  # another project's
    ("/integrity/alpha/1.0/missing-1.0.tar.gz/provenance", "missing-1.0.tar.gz"),
    (f"/integrity/-bad-/1.0/{ATTESTED}/provenance", ATTESTED),  # not a project name
    (f"/integrity/alpha/not-a-version/{ATTESTED}/provenance", ATTESTED),
])
def test_no_provenance_is_pypis_404(client: AppClient, path: str, filename: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert response.json() == {"message": f"No provenance available for {filename}"}


@pytest.mark.parametrize("path", [
    f"/integrity/alpha/1.0/{ATTESTED}/other", f"/integrity/alpha/1.0/{ATTESTED}",
    f"/integrity/alpha//{ATTESTED}/provenance",
])
def test_other_addresses_are_not_the_integrity_api(client: AppClient, path: str) -> None:
    assert client.get(path).status_code == 404
    assert "No provenance" not in client.get(path).text


def test_a_quarantined_projects_provenance_is_not_served(index: Index,
                                                         client: AppClient) -> None:
    assert client.get(PROVENANCE_PATH).status_code == 200
    index.release("Alpha", "3.0", status="quarantined")
    assert client.get(PROVENANCE_PATH).status_code == 404


def test_the_json_api_flags_a_release_that_lost_its_provenance(client: AppClient) -> None:
    document = client.get("/pypi/alpha/json").json()
    assert document["releases"]["2.0"][0]["provenance_change"] == {
        "change": "lost", "previous_version": "1.0"}
    assert "provenance_change" not in document["releases"]["1.0"][0]
    assert document["urls"][0]["provenance_change"]["change"] == "lost"
    release = client.get("/pypi/alpha/1.0/json").json()
    assert "provenance_change" not in release["urls"][0]


def test_a_private_index_guards_provenance_like_every_read(index: Index) -> None:
    AccountService(index.db).create_user("reader", email="reader@example.org",
                                         password="a long enough password")
    reads, token = index.private_app()
    client = AppClient(reads)
    refused = client.get(PROVENANCE_PATH)
    assert refused.status_code == 401
    assert b"trailofbits" not in refused.content
    allowed = client.get(PROVENANCE_PATH, auth=("__token__", token))
    assert allowed.status_code == 200
    assert json.loads(allowed.content)["version"] == 1
    # What a token holder was sent is for no shared cache to keep.
    assert allowed.headers["cache-control"] == "max-age=600, private"
