"""The client side: which files of a PEP 691 page are the release's, and verifying every
bundle of a provenance object an index serves (the real fixtures)."""

from __future__ import annotations

import json

import pytest
from packaging.version import Version

from strongroom.attestations import AttestationVerifier
from strongroom.attestations.client import release_files
from strongroom.attestations.provenance import verify_provenance
from strongroom.attestations.verifier import AttestationInvalid
from strongroom.errors import InvalidInput, NotFound
from tests.attestations import FIXTURES, PRODUCTION_ROOT, SIGNED, edited

PAGE_URL = "https://index.example/simple/demo-pkg/"
SHA = "ab" * 32


def page(*files: dict[str, object]) -> bytes:
    return json.dumps({"meta": {"api-version": "1.4"}, "name": "demo-pkg",
                       "files": list(files)}).encode()


def entry(filename: str, **more: object) -> dict[str, object]:
    return {"filename": filename, "url": f"../../packages/{filename}",
            "hashes": {"sha256": SHA.upper()}, **more}


def test_the_release_files_are_those_whose_names_say_its_name_and_version() -> None:
    body = page(entry("demo_pkg-1.0-py3-none-any.whl", size=10,
                      provenance="/integrity/demo-pkg/1.0/demo_pkg-1.0-py3-none-any.whl/"
                                 "provenance"),
                entry("Demo.Pkg-1.0.0.tar.gz", provenance=None),  # 1.0.0 is 1.0 (PEP 440)
                entry("demo_pkg-1.0.zip", size=True),
                entry("demo_pkg-1.1-py3-none-any.whl"),
                entry("other-1.0.tar.gz"),  # another project's, listed by a hostile page
                entry("demo_pkg-1.0-py2.7.egg"),  # not a wheel or an sdist
                entry("demo_pkg-x.y.tar.gz"))
    files = release_files(body, PAGE_URL, "Demo_Pkg", Version("1.0"), shown="the page")
    assert [f.filename for f in files] == ["Demo.Pkg-1.0.0.tar.gz", "demo_pkg-1.0-py3-none-any.whl",
                                           "demo_pkg-1.0.zip"]
    wheel = files[1]
    assert wheel.url == "https://index.example/packages/demo_pkg-1.0-py3-none-any.whl"
    assert wheel.provenance == ("https://index.example/integrity/demo-pkg/1.0/"
                                "demo_pkg-1.0-py3-none-any.whl/provenance")
    assert (wheel.sha256, wheel.size) == (SHA, 10)
    assert files[0].provenance is None
    assert files[2].size is None  # a size that is not a number is none


def test_a_version_without_files_names_those_there() -> None:
    body = page(entry("demo_pkg-1.0.tar.gz"), entry("demo_pkg-2.0.tar.gz"))
    with pytest.raises(NotFound, match=r"demo-pkg 3\.0 has no files at the page "
                                       r"\(versions there: 1\.0, 2\.0\)"):
        release_files(body, PAGE_URL, "demo-pkg", Version("3.0"), shown="the page")
    with pytest.raises(NotFound, match="no files there"):
        release_files(page(), PAGE_URL, "demo-pkg", Version("3.0"), shown="the page")


@pytest.mark.parametrize(("body", "reason"), [
    (b"<html></html>", "the page is not JSON"),
    (b"[]", "not a PEP 691 project page"),
    (json.dumps({"files": {}}).encode(), "not a PEP 691 project page"),
    (page("demo_pkg-1.0.tar.gz"), r"files\[0\] is not an object"),
    (page({"filename": "demo_pkg-1.0.tar.gz", "url": "x"}), r"files\[0\] lacks"),
    (page(entry("demo_pkg-1.0.tar.gz", provenance=7)), "neither a URL nor null"),
])
def test_a_page_that_is_not_pep_691s_is_refused_saying_where(body: bytes, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        release_files(body, PAGE_URL, "demo-pkg", Version("1.0"), shown="the page")


@pytest.fixture(scope="module")
def verifier() -> AttestationVerifier:
    return AttestationVerifier(PRODUCTION_ROOT)


SIGNED_DIST = SIGNED[0]
PROVENANCE = json.loads((FIXTURES / f"{SIGNED_DIST.dist}.provenance").read_text())


def _with_bundles(*bundles: dict[str, object]) -> str:
    return json.dumps({"version": 1, "attestation_bundles": list(bundles)})


def test_every_bundle_is_verified_against_its_own_publisher(
        verifier: AttestationVerifier) -> None:
    bundle = PROVENANCE["attestation_bundles"][0]
    slsa = {**bundle, "attestations": [json.loads(SIGNED[1].text)]}
    verified = verify_provenance(verifier, _with_bundles(bundle, slsa), SIGNED_DIST.dist,
                                 SIGNED_DIST.sha256)
    assert [v.predicate_types for v in verified] == [(SIGNED[0].predicate_type,),
                                                     (SIGNED[1].predicate_type,)]
    assert {json.loads(v.publisher)["repository"] for v in verified} == {
        "trailofbits/pypi-attestations"}


def test_one_bundle_that_does_not_verify_fails_the_whole(
        verifier: AttestationVerifier) -> None:
    bundle = PROVENANCE["attestation_bundles"][0]
    tampered = {**bundle, "attestations": [json.loads(edited(SIGNED_DIST.text, "signature",
                                                             20))]}
    with pytest.raises(AttestationInvalid) as invalid:
        verify_provenance(verifier, _with_bundles(bundle, tampered), SIGNED_DIST.dist,
                          SIGNED_DIST.sha256)
    # The client's words say what failed, not that an upload did.
    assert invalid.value.detail.startswith("verification failed: ")
    assert "invalid signature" in invalid.value.detail
    assert "uploaded" not in invalid.value.detail


@pytest.mark.parametrize(("provenance", "sha256", "reason"), [
    (_with_bundles(), SIGNED_DIST.sha256, "holds no attestation bundle"),
    (_with_bundles({**PROVENANCE["attestation_bundles"][0], "publisher": {
        **PROVENANCE["attestation_bundles"][0]["publisher"], "repository": "acme/other"}}),
     SIGNED_DIST.sha256, "verification failed: Certificate's OIDCSourceRepositoryURI does not "
                         "match"),
    (json.dumps(PROVENANCE), "0" * 64, "subject does not match distribution digest"),
    ("{}", SIGNED_DIST.sha256, "malformed provenance object"),
], ids=["no-bundle", "other-publisher", "other-digest", "malformed"])
def test_what_does_not_verify_says_why(verifier: AttestationVerifier, provenance: str,
                                       sha256: str, reason: str) -> None:
    with pytest.raises(AttestationInvalid) as invalid:
        verify_provenance(verifier, provenance, SIGNED_DIST.dist, sha256)
    assert reason in invalid.value.detail
