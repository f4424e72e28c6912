"""PEP 740 attestations: verifying those an upload (or an import) carries, offline, against
the trusted publisher and the file; storing the file's provenance object; flagging a release
whose provenance breaks with the one before, and telling its owners.

The upload package calls in: ``submitted`` and ``verify_submitted`` (or
``verify_provenance_file``) before anything is stored, ``record_provenance`` in its record
transaction, ``ProvenanceNotices.tell`` after it committed. The index reads ``FileProvenance``.
``strongroom verify`` checks a release an index serves with ``ReleaseReader`` and ``check``
(client.py), which verify as uploads are verified.
"""

from strongroom.attestations.client import (
    Bundle,
    ListedFile,
    Outcome,
    ReleaseReader,
    Verdict,
    check,
)
from strongroom.attestations.models import FileProvenance
from strongroom.attestations.notices import ProvenanceNotices
from strongroom.attestations.provenance import (
    Submitted,
    VerifiedProvenance,
    submitted,
    verify_provenance_file,
    verify_submitted,
)
from strongroom.attestations.publishers import SUPPORTED_KINDS, supports_attestations
from strongroom.attestations.stored import (
    Change,
    NewFileRow,
    PreviousRelease,
    ProvenanceChange,
    record_provenance,
)
from strongroom.attestations.verifier import AttestationVerifier

__all__ = [
    "SUPPORTED_KINDS",
    "AttestationVerifier",
    "Bundle",
    "Change",
    "FileProvenance",
    "ListedFile",
    "NewFileRow",
    "Outcome",
    "PreviousRelease",
    "ProvenanceChange",
    "ProvenanceNotices",
    "ReleaseReader",
    "Submitted",
    "Verdict",
    "VerifiedProvenance",
    "check",
    "record_provenance",
    "submitted",
    "supports_attestations",
    "verify_provenance_file",
    "verify_submitted",
]
