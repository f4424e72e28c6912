"""The real attestations in tests/fixtures/attestations/ (README there says whose they are),
and the trusted publishers that signed them."""

from __future__ import annotations

import base64
import functools
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from strongroom.attestations import (
    AttestationVerifier,
    NewFileRow,
    PreviousRelease,
    ProvenanceChange,
    VerifiedProvenance,
    record_provenance,
    submitted,
    verify_submitted,
)
from strongroom.db.base import utcnow
from strongroom.db.engine import Database
from strongroom.domain.principals import Principal, PrincipalKind, PublisherIdentity
from strongroom.projects import Project
from strongroom.upload import File, Release

FIXTURES = Path(__file__).parent / "fixtures" / "attestations"
PRODUCTION_ROOT = FIXTURES / "sigstore-production.trusted_root.json"
STAGING_ROOT = FIXTURES / "sigstore-staging.trusted_root.json"
PUBLISH_V1 = "https://docs.pypi.org/attestations/publish/v1"
SLSA_V1 = "https://slsa.dev/provenance/v1"

GITHUB = PublisherIdentity(kind="GitHub", issuer="https://token.actions.githubusercontent.com",
                           repository="trailofbits/pypi-attestations", workflow="release.yml")
GITHUB_MODELS = PublisherIdentity(kind="GitHub",
                                  issuer="https://token.actions.githubusercontent.com",
                                  repository="trailofbits/pypi-attestation-models",
                                  workflow="release.yml")
GITLAB = PublisherIdentity(kind="GitLab", issuer="https://gitlab.com",
                           repository="facutuesca/gitlab-oidc-project",
                           workflow=".gitlab-ci.yml")


@dataclass(frozen=True)
class Signed:
    """A distribution file, one of its attestations, and who signed it."""

    dist: str
    attestation: str
    identity: PublisherIdentity
    predicate_type: str

    @property
    def content(self) -> bytes:
        return (FIXTURES / self.dist).read_bytes()

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()

    @property
    def text(self) -> str:
        return (FIXTURES / self.attestation).read_text()


SIGNED = [
    Signed("pypi_attestations-0.0.19.tar.gz",
           "pypi_attestations-0.0.19.tar.gz.publish.attestation", GITHUB, PUBLISH_V1),
    Signed("pypi_attestations-0.0.19.tar.gz",
           "pypi_attestations-0.0.19.tar.gz.slsa.attestation", GITHUB, SLSA_V1),
    Signed("pypi_attestation_models-0.0.4a2.tar.gz",
           "pypi_attestation_models-0.0.4a2.tar.gz.attestation", GITHUB_MODELS, PUBLISH_V1),
    Signed("gitlab_oidc_project-0.0.3.tar.gz",
           "gitlab_oidc_project-0.0.3.tar.gz.publish.attestation", GITLAB, PUBLISH_V1),
]
# Signed on Sigstore's staging instance, by an e-mail identity no publisher kind has.
STAGING = Signed("rfc8785-0.1.2-py3-none-any.whl",
                 "rfc8785-0.1.2-py3-none-any.whl.publish.attestation",
                 PublisherIdentity(kind="Google", issuer="https://accounts.google.com",
                                   email="william@yossarian.net"), PUBLISH_V1)


def publisher(identity: PublisherIdentity, publisher_id: int = 1) -> Principal:
    """The principal a trusted publisher's minted token gives (strongroom.domain.principals)."""
    return Principal(kind=PrincipalKind.PUBLISHER,
                     name=f"{identity.kind} publisher {identity.repository or identity.email}",
                     publisher_id=publisher_id, publisher=identity)


def edited(text: str, part: str, at: int) -> str:
    """The attestation ``text`` with one byte of its base64 ``envelope.<part>`` (``statement``
    or ``signature``) changed: the byte at ``at`` gets its lowest bit flipped."""
    document = json.loads(text)
    raw = bytearray(base64.b64decode(document["envelope"][part]))
    raw[at] ^= 1
    document["envelope"][part] = base64.b64encode(bytes(raw)).decode()
    return json.dumps(document)


@functools.cache
def verified(signed: Signed) -> VerifiedProvenance:
    """The provenance object that verifying ``signed`` as an upload's gives (production root)."""
    claim = submitted(f"[{signed.text}]", publisher(signed.identity))
    assert claim is not None
    return verify_submitted(AttestationVerifier(PRODUCTION_ROOT), claim, signed.dist,
                            signed.sha256)


def attach(db: Database, filename: str, provenance: VerifiedProvenance | None, *,
           previous: PreviousRelease | None = None, by: Principal | None = None
           ) -> ProvenanceChange | None:
    """Record the provenance (and flag) of the stored file ``filename`` as its upload's record
    step does, for read-side tests whose files a builder made (tests/readside.py)."""
    with db.write_connection() as connection:
        release_id, version, project = connection.execute(
            select(Release.id, Release.version, Project.normalized_name)
            .join(File, File.release_id == Release.id)
            .join(Project, Project.id == Release.project_id)
            .where(File.filename == filename)).one()
        return record_provenance(connection, NewFileRow(project, version, release_id, filename),
                                 provenance, previous,
                                 principal=by or Principal(PrincipalKind.USER, "alice"),
                                 now=utcnow())
