"""The attestations package's public API, which the upload, the index and web/ build on: its
names are pinned here so that a change to them is deliberate."""

from __future__ import annotations

import subprocess
import sys

import strongroom.attestations

PUBLIC = [
    "SUPPORTED_KINDS", "AttestationVerifier", "Bundle", "Change", "FileProvenance",
    "ListedFile", "NewFileRow", "Outcome", "PreviousRelease", "ProvenanceChange",
    "ProvenanceNotices", "ReleaseReader", "Submitted", "Verdict", "VerifiedProvenance",
    "check", "record_provenance", "submitted", "supports_attestations",
    "verify_provenance_file", "verify_submitted",
]


def test_the_public_names_are_these() -> None:
    assert sorted(strongroom.attestations.__all__) == sorted(PUBLIC)
    assert all(hasattr(strongroom.attestations, name) for name in PUBLIC)


def test_serving_never_loads_sigstore() -> None:
    # pypi-attestations, pydantic and sigstore cost each process some 27 MB: only verifying
    # an attestation loads them.
    loaded = subprocess.run(
        [sys.executable, "-c", "import sys, strongroom.web.app, strongroom.cli.main; "
         "print(sorted({'sigstore', 'pypi_attestations', 'pydantic'} & set(sys.modules)))"],
        capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]"
