"""From what a client sent to a verified provenance object, or a refusal saying why.

Two ways in. An upload's ``attestations`` form field (a JSON array of attestation objects) is
accepted only from a trusted publisher whose kind has an attestation identity, and is held to
PyPI's rules: not empty, at most one attestation per predicate type (so at most two), each
verified against that publisher and the file. An import's provenance file (what an index
serves for a file it published: ``strongroom admin import`` reads ``<file>.provenance``) holds
one bundle whose publisher its attestations are verified against in the same way.

Either way the result is the file's PEP 740 provenance object, one bundle of the publisher and
its attestations, as compact JSON bytes: what ``/integrity/.../provenance`` serves.
pypi-attestations and pydantic are imported on first use (publishers.py says why).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from strongroom.attestations.publishers import (
    is_supported,
    publisher_key,
    publisher_model,
    publisher_object,
    supports_attestations,
)
from strongroom.attestations.verifier import (
    PREDICATE_TYPES,
    AttestationInvalid,
    AttestationVerifier,
)
from strongroom.domain.echo import clipped
from strongroom.domain.principals import Principal, PrincipalKind
from strongroom.errors import Problem, UploadRejected

if TYPE_CHECKING:
    from pydantic import TypeAdapter, ValidationError
    from pypi_attestations import Attestation, AttestationBundle

    from strongroom.attestations.publishers import PublisherModel

_UPLOAD_REFUSED = "Invalid attestations supplied during upload: "


@dataclass(frozen=True)
class VerifiedProvenance:
    """A file's provenance object, every attestation in it verified: ``document`` is the
    object as served (compact JSON), ``publisher`` its bundle's publisher object as compact
    JSON with sorted keys (what provenance changes compare), ``predicate_types`` what was
    attested."""

    document: bytes
    publisher: str
    predicate_types: tuple[str, ...]


@dataclass(frozen=True)
class Submitted:
    """An upload's attestations, parsed, and the publisher model they must verify as."""

    attestations: tuple[Attestation, ...]
    publisher: PublisherModel


@functools.cache
def _attestation_list() -> TypeAdapter[list[Attestation]]:
    """The parser of an ``attestations`` field (built once, on first use)."""
    from pydantic import TypeAdapter  # noqa: PLC0415 - see the module's docstring
    from pypi_attestations import Attestation  # noqa: PLC0415

    return TypeAdapter(list[Attestation])


def _refused(reason: str) -> UploadRejected:
    return UploadRejected([Problem("", _UPLOAD_REFUSED + reason)])


def _malformed(error: ValidationError) -> str:
    """The first thing pydantic found wrong, short: where, and what."""
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    more = error.error_count() - 1
    also = f" (and {more} more)" if more else ""
    return clipped(f"{where}: {first['msg']}" if where else first["msg"]) + also


def submitted(text: str | None, principal: Principal) -> Submitted | None:
    """The attestations of an upload's ``attestations`` field (None when the field is absent),
    checked before any file is read: ``principal`` must be a trusted publisher whose kind
    supports attestations, and the field a non-empty JSON array of at most two attestation
    objects. Raises UploadRejected in PyPI's words otherwise."""
    if text is None:
        return None
    identity = principal.publisher
    if principal.kind is not PrincipalKind.PUBLISHER or identity is None:
        raise _refused("Attestations are only supported when using Trusted Publishing")
    if not supports_attestations(identity):
        raise _refused(f"Attestations are not currently supported with {identity.kind} "
                       "publishers")
    from pydantic import ValidationError  # noqa: PLC0415 - see the module's docstring

    try:
        attestations = _attestation_list().validate_json(text)
    except ValidationError as exc:
        raise _refused(f"Malformed attestations: {_malformed(exc)}") from None
    if not attestations:
        raise _refused("Malformed attestations: an empty attestation set is not permitted")
    if len(attestations) > len(PREDICATE_TYPES):
        raise _refused(f"A maximum of {len(PREDICATE_TYPES)} attestations per file are "
                       "supported")
    return Submitted(tuple(attestations), publisher_model(identity))


def verify_submitted(verifier: AttestationVerifier, claim: Submitted, filename: str,
                     sha256: str) -> VerifiedProvenance:
    """Verify every attestation of an upload against its publisher and the file ``filename``
    (SHA-256 ``sha256``, hex): the provenance object to store. Raises UploadRejected in
    PyPI's words for the first that fails, and Unavailable when no trusted root loads."""
    try:
        return _verified(verifier, claim.attestations, claim.publisher, filename, sha256)
    except AttestationInvalid as invalid:
        raise _refused(invalid.reason) from None


def verify_provenance_file(verifier: AttestationVerifier, text: str | bytes, filename: str,
                           sha256: str) -> VerifiedProvenance:
    """Verify a provenance object another index served for ``filename`` (SHA-256 ``sha256``):
    one bundle whose attestations all verify as its publisher's. Raises UploadRejected naming
    the ``provenance`` field when it is malformed or does not verify."""
    try:
        return _bundle_verified(verifier, _one_bundle(text), filename, sha256)
    except AttestationInvalid as invalid:
        raise UploadRejected([Problem("provenance", invalid.reason)]) from None


def verify_provenance(verifier: AttestationVerifier, text: str | bytes, filename: str,
                      sha256: str) -> tuple[VerifiedProvenance, ...]:
    """Verify every attestation of every bundle of the provenance object an index serves for
    ``filename`` (SHA-256 ``sha256``, hex), each against its own bundle's publisher: what a
    client checking a download asks. One VerifiedProvenance per bundle, in order. Raises
    AttestationInvalid for the first thing that does not verify (``detail`` says what, in
    words that do not speak of an upload), and Unavailable when no trusted root loads."""
    bundles = _bundles(text)
    if not bundles:
        raise AttestationInvalid("the provenance object holds no attestation bundle")
    return tuple(_bundle_verified(verifier, bundle, filename, sha256) for bundle in bundles)


def _bundles(text: str | bytes) -> list[AttestationBundle]:
    """The bundles of a provenance object; AttestationInvalid when it is not one."""
    from pydantic import ValidationError  # noqa: PLC0415 - see the module's docstring
    from pypi_attestations import Provenance  # noqa: PLC0415

    try:
        return Provenance.model_validate_json(text).attestation_bundles
    except ValidationError as exc:
        raise AttestationInvalid(f"malformed provenance object: {_malformed(exc)}") from None


def _one_bundle(text: str | bytes) -> AttestationBundle:
    """The one bundle of a provenance object; AttestationInvalid when it has another number."""
    bundles = _bundles(text)
    if len(bundles) != 1:
        raise AttestationInvalid("a provenance object with exactly one attestation bundle is "
                                 f"needed, not {len(bundles)}")
    return bundles[0]


def _bundle_verified(verifier: AttestationVerifier, bundle: AttestationBundle, filename: str,
                     sha256: str) -> VerifiedProvenance:
    """``bundle`` verified: of a publisher kind this index knows, not empty, and each of its
    attestations its publisher's for the file; AttestationInvalid otherwise."""
    publisher = bundle.publisher
    if not is_supported(publisher):
        raise AttestationInvalid(f"attestations of {publisher.kind} publishers are not "
                                 "supported")
    if not bundle.attestations:
        raise AttestationInvalid("its bundle holds no attestation")
    return _verified(verifier, tuple(bundle.attestations), publisher, filename, sha256)


def _verified(verifier: AttestationVerifier, attestations: Sequence[Attestation],
              publisher: PublisherModel, filename: str, sha256: str) -> VerifiedProvenance:
    """The provenance object of ``attestations``, once each verifies and no predicate type
    comes twice; AttestationInvalid otherwise."""
    seen: list[str] = []
    for attestation in attestations:
        predicate_type = verifier.verify(attestation, publisher, filename, sha256)
        if predicate_type in seen:
            raise AttestationInvalid("Multiple attestations for the same file with the same "
                                     f"predicate type ({predicate_type}) are not supported")
        seen.append(predicate_type)
    owner = publisher_object(publisher)
    document: dict[str, Any] = {"version": 1, "attestation_bundles": [{
        "publisher": owner,
        "attestations": [a.model_dump(mode="json") for a in attestations],
    }]}
    return VerifiedProvenance(
        document=json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode(),
        publisher=publisher_key(owner), predicate_types=tuple(seen))
