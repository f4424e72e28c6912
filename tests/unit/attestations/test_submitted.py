"""PyPI's rules for an upload's ``attestations`` field, checked before any file is read, and
for a provenance file an import brings."""

from __future__ import annotations

import json

import pytest

from strongroom.attestations import (
    AttestationVerifier,
    submitted,
    verify_provenance_file,
    verify_submitted,
)
from strongroom.domain.principals import Principal, PrincipalKind, PublisherIdentity
from strongroom.errors import UploadRejected
from tests.attestations import FIXTURES, GITHUB, PRODUCTION_ROOT, SIGNED, publisher

PREFIX = "Invalid attestations supplied during upload: "


@pytest.fixture(scope="module")
def verifier() -> AttestationVerifier:
    return AttestationVerifier(PRODUCTION_ROOT)


def test_no_field_no_attestations() -> None:
    assert submitted(None, publisher(GITHUB)) is None
    assert submitted(None, Principal(PrincipalKind.USER, "alice", user_id=1)) is None


@pytest.mark.parametrize("principal", [
    Principal(PrincipalKind.USER, "alice", user_id=1, token_id="t"),
    Principal(PrincipalKind.ADMIN, "admin", user_id=1),
    Principal(PrincipalKind.PUBLISHER, "no identity", publisher_id=1),
], ids=["user", "admin", "publisher-without-identity"])
def test_only_trusted_publishers_may_send_attestations(principal: Principal) -> None:
    with pytest.raises(UploadRejected) as refused:
        submitted(f"[{SIGNED[0].text}]", principal)
    assert refused.value.message == (
        PREFIX + "Attestations are only supported when using Trusted Publishing")


def test_a_publisher_kind_without_an_attestation_identity_is_refused() -> None:
    other = PublisherIdentity(kind="ActiveState", issuer="https://platform.activestate.com",
                              repository="org/project")
    with pytest.raises(UploadRejected,
                       match="not currently supported with ActiveState publishers"):
        submitted(f"[{SIGNED[0].text}]", publisher(other))


@pytest.mark.parametrize(("text", "reason"), [
    ("[]", "an empty attestation set is not permitted"),
    ("{}", "Malformed attestations"),
    ("not json", "Malformed attestations"),
    ('[{"version": 2}]', "Malformed attestations: 0.version"),
    ("[" + ",".join([SIGNED[0].text] * 3) + "]", "A maximum of 2 attestations per file"),
])
def test_malformed_or_too_many_are_refused_before_any_verification(text: str,
                                                                   reason: str) -> None:
    with pytest.raises(UploadRejected, match=reason) as refused:
        submitted(text, publisher(GITHUB))
    assert refused.value.message.startswith(PREFIX)
    assert len(refused.value.message) < 400  # pydantic's whole report is not echoed


def test_two_of_one_predicate_type_are_refused(verifier: AttestationVerifier) -> None:
    signed = SIGNED[0]
    claim = submitted(f"[{signed.text},{signed.text}]", publisher(GITHUB))
    assert claim is not None
    with pytest.raises(UploadRejected, match="same predicate type"):
        verify_submitted(verifier, claim, signed.dist, signed.sha256)


def test_a_provenance_file_verifies_against_its_own_publisher(
        verifier: AttestationVerifier) -> None:
    signed = SIGNED[0]
    text = (FIXTURES / f"{signed.dist}.provenance").read_text()
    verified = verify_provenance_file(verifier, text, signed.dist, signed.sha256)
    assert json.loads(verified.publisher) == {
        "kind": "GitHub", "repository": "trailofbits/pypi-attestations",
        "workflow": "release.yml", "environment": None, "claims": None}


@pytest.mark.parametrize(("edit", "reason"), [
    (lambda p: p["attestation_bundles"][0]["publisher"].update(workflow="other.yml"),
     "Could not verify"),
    (lambda p: p["attestation_bundles"][0]["publisher"].update(kind="ActiveState"),
     "malformed provenance object"),
    (lambda p: p["attestation_bundles"].append(p["attestation_bundles"][0]),
     "exactly one attestation bundle"),
    (lambda p: p["attestation_bundles"][0]["attestations"].clear(), "holds no attestation"),
    (lambda p: p.update(version=2), "malformed provenance object"),
], ids=["other-workflow", "unknown-kind", "two-bundles", "empty", "version"])
def test_a_provenance_file_that_does_not_verify_is_refused(
        verifier: AttestationVerifier, edit: object, reason: str) -> None:
    signed = SIGNED[0]
    document = json.loads((FIXTURES / f"{signed.dist}.provenance").read_text())
    assert callable(edit)
    edit(document)
    with pytest.raises(UploadRejected, match=reason) as refused:
        verify_provenance_file(verifier, json.dumps(document), signed.dist, signed.sha256)
    assert refused.value.problems[0].field == "provenance"
