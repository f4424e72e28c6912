"""Verifying real attestations offline: each verifies as its publisher's for its file, and a
changed byte anywhere (the file, the statement, the signature), another identity or another
trusted root refuses it."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
from pathlib import Path

import pytest
from pypi_attestations import Provenance

from strongroom.attestations import (
    AttestationVerifier,
    VerifiedProvenance,
    submitted,
    verify_submitted,
)
from strongroom.domain.principals import PublisherIdentity
from strongroom.errors import InvalidInput, UploadRejected
from tests.attestations import (
    GITHUB,
    GITLAB,
    PRODUCTION_ROOT,
    SIGNED,
    STAGING,
    STAGING_ROOT,
    Signed,
    edited,
    publisher,
)


@pytest.fixture(scope="module")
def verifier() -> AttestationVerifier:
    """Sigstore's production root, from a file (so that no test writes sigstore's cache)."""
    return AttestationVerifier(PRODUCTION_ROOT)


def _verify(verifier: AttestationVerifier, signed: Signed, *, text: str | None = None,
            identity: PublisherIdentity | None = None, filename: str | None = None,
            sha256: str | None = None) -> VerifiedProvenance:
    claim = submitted(f"[{text or signed.text}]", publisher(identity or signed.identity))
    assert claim is not None
    return verify_submitted(verifier, claim, filename or signed.dist, sha256 or signed.sha256)


@pytest.mark.parametrize("signed", SIGNED, ids=lambda s: s.attestation)
def test_each_verifies_against_its_publisher_and_file(verifier: AttestationVerifier,
                                                      signed: Signed) -> None:
    verified = _verify(verifier, signed)
    assert verified.predicate_types == (signed.predicate_type,)
    # What is stored and served reads back as PEP 740's provenance object, with its publisher.
    provenance = Provenance.model_validate_json(verified.document)
    bundle, = provenance.attestation_bundles
    assert bundle.publisher.kind == signed.identity.kind
    assert json.loads(verified.publisher)["repository"] == signed.identity.repository
    assert json.loads(verified.document)["attestation_bundles"][0]["publisher"]["claims"] is None
    assert [a.model_dump(mode="json") for a in bundle.attestations] == [json.loads(signed.text)]


def test_both_predicate_types_together(verifier: AttestationVerifier) -> None:
    publish, slsa = SIGNED[:2]
    claim = submitted(f"[{publish.text},{slsa.text}]", publisher(GITHUB))
    assert claim is not None
    verified = verify_submitted(verifier, claim, publish.dist, publish.sha256)
    assert verified.predicate_types == (publish.predicate_type, slsa.predicate_type)


@pytest.mark.parametrize("signed", SIGNED, ids=lambda s: s.attestation)
def test_one_byte_changed_in_the_file_is_refused(verifier: AttestationVerifier,
                                                 signed: Signed) -> None:
    content = bytearray(signed.content)
    content[len(content) // 2] ^= 1
    with pytest.raises(UploadRejected, match="subject does not match distribution digest"):
        _verify(verifier, signed, sha256=hashlib.sha256(content).hexdigest())


@pytest.mark.parametrize("signed", SIGNED, ids=lambda s: s.attestation)
def test_one_byte_changed_in_the_statement_is_refused(verifier: AttestationVerifier,
                                                      signed: Signed) -> None:
    statement = base64.b64decode(json.loads(signed.text)["envelope"]["statement"])
    # A byte of the subject's digest: the statement stays well-formed JSON naming another
    # file's digest, which only the signature stops.
    at = statement.index(signed.sha256.encode()) + 10
    tampered = edited(signed.text, "statement", at)
    with pytest.raises(UploadRejected, match="invalid signature"):
        _verify(verifier, signed, text=tampered)


@pytest.mark.parametrize("signed", SIGNED, ids=lambda s: s.attestation)
def test_one_byte_changed_in_the_signature_is_refused(verifier: AttestationVerifier,
                                                      signed: Signed) -> None:
    tampered = edited(signed.text, "signature", 20)
    with pytest.raises(UploadRejected, match="invalid signature"):
        _verify(verifier, signed, text=tampered)


@pytest.mark.parametrize("identity", [
    dataclasses.replace(GITHUB, repository="trailofbits/pypi-attestation-models"),
    dataclasses.replace(GITHUB, repository="attacker/pypi-attestations"),
    dataclasses.replace(GITHUB, workflow="other.yml"),
    dataclasses.replace(GITLAB, repository="trailofbits/pypi-attestations",
                        workflow="release.yml"),
    PublisherIdentity(kind="Google", issuer="https://accounts.google.com",
                      email="release@trailofbits.iam.gserviceaccount.com"),
], ids=["other-repository", "fork", "other-workflow", "gitlab", "google"])
def test_another_identity_is_refused(verifier: AttestationVerifier,
                                     identity: PublisherIdentity) -> None:
    with pytest.raises(UploadRejected, match="Could not verify the uploaded artifact"):
        _verify(verifier, SIGNED[0], identity=identity)


def test_the_subject_must_be_the_file_by_name_compared_parsed(
        verifier: AttestationVerifier) -> None:
    signed = SIGNED[0]
    with pytest.raises(UploadRejected, match="subject does not match distribution name"):
        _verify(verifier, signed, filename="pypi_attestations-0.0.20.tar.gz")
    # The same distribution's name spelt otherwise is the same file (PEP 740).
    assert _verify(verifier, signed, filename="pypi-attestations-0.0.19.tar.gz")


def test_staging_signed_is_refused_against_the_production_root(
        verifier: AttestationVerifier) -> None:
    with pytest.raises(UploadRejected, match="certificate chain") as production:
        _verify(verifier, STAGING)
    # Against staging's own root the chain holds, and only the identity fails: the refusal
    # above is the root's.
    with pytest.raises(UploadRejected) as staging:
        _verify(AttestationVerifier(STAGING_ROOT), STAGING)
    assert "OIDCIssuer does not match" in staging.value.message
    assert "certificate chain" not in staging.value.message
    assert production.value.message != staging.value.message


def test_a_production_attestation_is_refused_against_the_staging_root() -> None:
    with pytest.raises(UploadRejected, match="Could not verify the uploaded artifact"):
        _verify(AttestationVerifier(STAGING_ROOT), SIGNED[0])


def test_sigstores_own_root_verifies_offline(tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    # No file named: the production root sigstore ships, read offline (its cache put here).
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert _verify(AttestationVerifier(), SIGNED[0]).predicate_types
    assert list(tmp_path.glob("sigstore-python/tuf/*/trusted_root.json"))


@pytest.mark.parametrize("content", [b"", b"{}", b"not json", b'{"mediaType": "other"}'])
def test_a_trusted_root_that_is_not_one_stops_the_start(tmp_path: Path, content: bytes) -> None:
    root = tmp_path / "trusted_root.json"
    root.write_bytes(content)
    with pytest.raises(InvalidInput, match=f"attestation_trusted_root: {root}"):
        AttestationVerifier(root)
    with pytest.raises(InvalidInput, match="attestation_trusted_root"):
        AttestationVerifier(tmp_path / "missing.json")
