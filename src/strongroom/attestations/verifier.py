"""Verifying one attestation offline, as PEP 740's "Attestation verification" asks.

Sigstore checks that the certificate chains to the trusted root, that it names the expected
publisher (pypi-attestations' policy for that publisher), the transparency-log entry that
dates it, and the DSSE signature over the statement. This module then holds the statement to
the file: an in-toto v1 statement with exactly one subject whose name parses to the same
distribution as the file's name (compared parsed, as the PEP asks) and whose SHA-256 is the
file's, and a predicate type PyPI knows.

Why not ``Attestation.verify``: it always builds sigstore's production verifier, so it cannot
use a trusted root an administrator names (the ``attestation_trusted_root`` setting).
``Verifier.verify_dsse`` is the public call beneath it, and it leaves the statement's payload
type and content to its caller, which this module checks. The one private call is
``_as_policy()``, pypi-attestations' policy for a publisher (it keeps the policies private):
pyproject.toml bounds the library's version and the tests with the real fixtures cover it.

The trusted root: the file the setting names, read when the verifier is made; else sigstore's
production root, read offline on first use (``Verifier.production(offline=True)``: the copy
in sigstore's cache directory, ``$XDG_CACHE_HOME/sigstore-python``, which it first fills from
the copy its wheel ships). Neither reaches the network. Sigstore is imported then too, not
before (publishers.py says why).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from packaging.utils import parse_sdist_filename, parse_wheel_filename

from strongroom.domain.echo import brief, clipped
from strongroom.errors import InvalidInput, Unavailable

if TYPE_CHECKING:
    from pypi_attestations import Attestation
    from sigstore.verify import Verifier

    from strongroom.attestations.publishers import PublisherModel

# pypi-attestations' AttestationType: the predicate types PyPI accepts.
PUBLISH_V1 = "https://docs.pypi.org/attestations/publish/v1"
SLSA_PROVENANCE_V1 = "https://slsa.dev/provenance/v1"
PREDICATE_TYPES = (PUBLISH_V1, SLSA_PROVENANCE_V1)
_IN_TOTO_PAYLOAD = "application/vnd.in-toto+json"
_STATEMENT_V1 = "https://in-toto.io/Statement/v1"


class AttestationInvalid(Exception):
    """An attestation that does not verify: ``reason`` says why in words for its uploader
    (PyPI's), ``detail`` what failed in words that do not speak of an upload (for a client
    checking what it downloaded; the reason itself when that has no upload in it)."""

    def __init__(self, reason: str, *, detail: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.detail = reason if detail is None else detail


class _NotVerified(Exception):
    """The statement is not the file's (its message says how)."""


class AttestationVerifier:
    """Verifies attestations against the trusted root ``trusted_root`` (a trusted_root.json;
    None: sigstore's production root). Safe to share between threads.

    Raises InvalidInput, naming the setting and the file, when ``trusted_root`` cannot be read
    as a Sigstore trusted root.
    """

    def __init__(self, trusted_root: Path | None = None) -> None:
        self._lock = threading.Lock()
        self._verifier: Verifier | None = None
        if trusted_root is not None:
            from sigstore.models import TrustedRoot  # noqa: PLC0415 - see the module's docstring
            from sigstore.verify import Verifier  # noqa: PLC0415

            try:
                root = TrustedRoot.from_file(str(trusted_root))
            except Exception as exc:  # OSError, JSON, or sigstore's own: an unusable file
                first = (str(exc).splitlines() or [type(exc).__name__])[0]
                raise InvalidInput(f"setting attestation_trusted_root: {trusted_root} is not "
                                   f"a Sigstore trusted root: {clipped(first)}") from exc
            self._verifier = Verifier(trusted_root=root)

    def _sigstore(self) -> Verifier:
        with self._lock:
            if self._verifier is None:
                from sigstore.verify import Verifier  # noqa: PLC0415 - see the module's docstring

                try:
                    self._verifier = Verifier.production(offline=True)
                except Exception as exc:  # an unwritable cache directory, a damaged copy
                    raise Unavailable(
                        "Attestations cannot be verified: sigstore's trusted root could not "
                        f"be loaded ({exc}); an administrator can name a trusted_root.json "
                        "with the attestation_trusted_root setting.") from exc
            return self._verifier

    def verify(self, attestation: Attestation, publisher: PublisherModel, filename: str,
               sha256: str) -> str:
        """The predicate type of ``attestation``, once it verifies as ``publisher``'s for the
        distribution ``filename`` whose SHA-256 is ``sha256`` (hex). Raises AttestationInvalid
        saying why it does not, and Unavailable when the trusted root cannot be loaded."""
        verifier = self._sigstore()
        policy = publisher._as_policy()  # private: see the module's docstring
        try:
            payload_type, payload = verifier.verify_dsse(attestation.to_bundle(), policy)
            return _check_statement(payload_type, payload, filename, sha256)
        except Exception as exc:  # whatever the library raises, the attestation is not verified
            reason = clipped(str(exc))
            raise AttestationInvalid("Could not verify the uploaded artifact using the "
                                     f"included attestation: Verification failed: {reason}",
                                     detail=f"verification failed: {reason}") from exc


def _check_statement(payload_type: str, payload: bytes, filename: str, sha256: str) -> str:
    """The statement's predicate type, once it is an in-toto statement whose one subject is
    the file's."""
    if payload_type != _IN_TOTO_PAYLOAD:
        raise _NotVerified(f"expected an in-toto statement, got {brief(payload_type)}")
    try:
        statement = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise _NotVerified("invalid statement: not JSON") from exc
    if not isinstance(statement, dict) or statement.get("_type") != _STATEMENT_V1:
        raise _NotVerified("invalid statement: not an in-toto v1 statement")
    subjects = statement.get("subject")
    if not isinstance(subjects, list) or len(subjects) != 1 or not isinstance(subjects[0], dict):
        raise _NotVerified("invalid statement: it must have exactly one subject")
    subject: dict[str, Any] = subjects[0]
    name, digests = subject.get("name"), subject.get("digest")
    if not isinstance(name, str) or _distribution(name) is None:
        raise _NotVerified(f"invalid subject: {brief(str(name))} is not a distribution's filename")
    if _distribution(name) != _distribution(filename):
        raise _NotVerified(
            f"subject does not match distribution name: {brief(name)} != {filename}")
    digest = digests.get("sha256") if isinstance(digests, dict) else None
    if not isinstance(digest, str) or digest.lower() != sha256:
        raise _NotVerified("subject does not match distribution digest")
    predicate_type = statement.get("predicateType")
    if predicate_type not in PREDICATE_TYPES:
        raise _NotVerified(f"unknown attestation type: {brief(str(predicate_type))}")
    return str(predicate_type)


def _distribution(filename: str) -> tuple[object, ...] | None:
    """What a distribution's file name says (name, version, and a wheel's build and tags),
    parsed so that equivalent spellings compare equal; None when it is not one."""
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)
        if filename.endswith((".tar.gz", ".zip")):
            return parse_sdist_filename(filename)
    except ValueError:  # InvalidWheelFilename, InvalidSdistFilename
        return None
    return None
