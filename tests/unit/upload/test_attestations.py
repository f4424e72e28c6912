"""Attestations in the upload pipeline, against a real database, blob store and the real
fixtures: refused from anyone but a trusted publisher before anything is stored; a provenance
object beside an imported file verified and kept in the record transaction; a release after
one with provenance flagged when it has none, in the history and to the service's listener.

Uploads by a trusted publisher need its minted token (the OIDC track); until then the
verification (tests/unit/attestations) and the record step are tested here through import."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from strongroom.accounts import AccountService
from strongroom.attestations import (
    AttestationVerifier,
    Change,
    FileProvenance,
    ProvenanceChange,
)
from strongroom.config import Limits
from strongroom.db import journal
from strongroom.db.base import utcnow
from strongroom.db.engine import Database
from strongroom.domain.principals import Credentials, Principal, PrincipalKind
from strongroom.errors import UploadRejected
from strongroom.history import History
from strongroom.rendering import ReadmeSandbox
from strongroom.storage import LocalBlobStore
from strongroom.tokens import TokenService
from strongroom.upload import File, UploadRequest, UploadService
from tests.attestations import FIXTURES, PRODUCTION_ROOT, SIGNED
from tests.builders import make_sdist, make_wheel

SIGNED_DIST = SIGNED[0]  # pypi_attestations-0.0.19.tar.gz, by trailofbits/pypi-attestations


@dataclasses.dataclass
class World:
    db: Database
    service: UploadService
    blobs: LocalBlobStore
    token: str
    alice: Principal
    changes: list[ProvenanceChange]


@pytest.fixture
def world(database: Database, tmp_path: Path, readmes: ReadmeSandbox) -> World:
    accounts, tokens = AccountService(database), TokenService(database)
    user = accounts.create_user("alice", email="alice@example.org",
                                password="a long enough password")
    changes: list[ProvenanceChange] = []
    blobs = LocalBlobStore(tmp_path / "files")
    published: list[journal.Written] = []
    service = UploadService(database, blobs, tokens, Limits(), render=readmes,
                            on_commit=published.append,
                            verifier=AttestationVerifier(PRODUCTION_ROOT),
                            on_provenance_change=changes.append)
    return World(database, service, blobs, tokens.create("alice", now=utcnow()),
                 Principal(PrincipalKind.ADMIN, "alice", user_id=user.id), changes)


def _upload(path: Path, token: str, **fields: str) -> UploadRequest:
    data = path.read_bytes()
    name, _, rest = path.name.partition("-")
    version = rest.removesuffix(".tar.gz").split("-")[0]
    form = {":action": "file_upload", "protocol_version": "1", "name": name, "version": version,
            "filetype": "bdist_wheel" if path.suffix == ".whl" else "sdist",
            "pyversion": "py3" if path.suffix == ".whl" else "source",
            "sha256_digest": hashlib.sha256(data).hexdigest(), **fields}
    return UploadRequest(fields={k: [v] for k, v in form.items()}, content=io.BytesIO(data),
                         content_filename=path.name, credentials=Credentials(token))


def _signed_with_provenance(directory: Path, provenance: str | None = None) -> Path:
    """The signed sdist with PyPI's provenance object (or ``provenance``) beside it."""
    directory.mkdir(parents=True, exist_ok=True)
    dist = directory / SIGNED_DIST.dist
    shutil.copyfile(FIXTURES / SIGNED_DIST.dist, dist)
    beside = FIXTURES / f"{SIGNED_DIST.dist}.provenance"
    (directory / beside.name).write_text(provenance or beside.read_text())
    return dist


def _rows(db: Database) -> list[FileProvenance]:
    with db.read() as session:
        rows = session.scalars(select(FileProvenance).order_by(FileProvenance.filename)).all()
        session.expunge_all()
        return list(rows)


def test_a_users_upload_with_attestations_is_refused_and_stores_nothing(
        world: World, tmp_path: Path) -> None:
    dist = tmp_path / SIGNED_DIST.dist
    shutil.copyfile(FIXTURES / SIGNED_DIST.dist, dist)
    with pytest.raises(UploadRejected) as refused:
        world.service.upload(_upload(dist, world.token,
                                     attestations=f"[{SIGNED_DIST.text}]"))
    assert refused.value.message == ("Invalid attestations supplied during upload: "
                                     "Attestations are only supported when using Trusted "
                                     "Publishing")
    assert list(world.blobs.list()) == []
    with world.db.read() as session:
        assert session.scalar(select(func.count(File.id))) == 0
    # The same upload without the field is a user's ordinary upload.
    assert world.service.upload(_upload(dist, world.token)).serial is not None


def test_an_imported_files_provenance_is_verified_and_kept(world: World,
                                                           tmp_path: Path) -> None:
    outcome = world.service.import_file(_signed_with_provenance(tmp_path), principal=world.alice)
    assert outcome.serial is not None
    row, = _rows(world.db)
    assert row.filename == SIGNED_DIST.dist
    assert row.change is None
    assert row.provenance is not None
    served = json.loads(row.provenance)
    theirs = json.loads((FIXTURES / f"{SIGNED_DIST.dist}.provenance").read_text())
    # PyPI's object, with the ``claims`` PEP 740 asks of a publisher.
    theirs["attestation_bundles"][0]["publisher"]["claims"] = None
    assert served == theirs
    assert json.loads(row.publisher or "")["repository"] == "trailofbits/pypi-attestations"
    assert world.changes == []


def test_an_imported_provenance_that_does_not_verify_stores_nothing(
        world: World, tmp_path: Path) -> None:
    theirs = json.loads((FIXTURES / f"{SIGNED_DIST.dist}.provenance").read_text())
    theirs["attestation_bundles"][0]["publisher"]["repository"] = "attacker/pypi-attestations"
    dist = _signed_with_provenance(tmp_path, json.dumps(theirs))
    with pytest.raises(UploadRejected, match="Could not verify") as refused:
        world.service.import_file(dist, principal=world.alice)
    assert refused.value.problems[0].field == "provenance"
    assert refused.value.filename == SIGNED_DIST.dist
    assert list(world.blobs.list()) == []
    assert _rows(world.db) == []
    with world.db.read() as session:
        assert session.scalar(select(func.count(File.id))) == 0


def test_a_release_without_provenance_after_one_with_is_flagged_lost(
        world: World, tmp_path: Path) -> None:
    world.service.import_file(_signed_with_provenance(tmp_path / "a"), principal=world.alice)
    sdist = make_sdist(tmp_path / "b", "pypi-attestations", "0.0.20")
    world.service.upload(_upload(sdist, world.token))
    wheel = make_wheel(tmp_path / "b", "pypi-attestations", "0.0.20")
    world.service.upload(_upload(wheel, world.token))
    first, second = world.changes
    assert (first.change, first.filename, first.version, first.previous_version,
            first.first_in_release) == (Change.LOST, sdist.name, "0.0.20", "0.0.19", True)
    assert (second.filename, second.first_in_release) == (wheel.name, False)
    assert first.publisher is None
    assert [json.loads(p)["repository"] for p in first.previous_publishers] == [
        "trailofbits/pypi-attestations"]
    assert {(r.filename, r.change, r.previous_version) for r in _rows(world.db)} == {
        (SIGNED_DIST.dist, None, None), (sdist.name, "lost", "0.0.19"),
        (wheel.name, "lost", "0.0.19")}
    events = [e for e in History(world.db).for_project("pypi-attestations", limit=10)
              if e.kind.startswith("provenance.")]
    assert [(e.kind, e.username, e.details["filename"]) for e in events] == [
        ("provenance.lost", "alice", wheel.name), ("provenance.lost", "alice", sdist.name)]
    assert events[0].details["previous_publishers"][0]["workflow"] == "release.yml"
    # A release after one without provenance is not flagged again.
    world.service.upload(_upload(make_sdist(tmp_path / "c", "pypi-attestations", "0.0.21"),
                                 world.token))
    assert len(world.changes) == 2


def test_projects_without_provenance_get_no_rows(world: World, tmp_path: Path) -> None:
    for version in ("1.0", "2.0"):
        world.service.upload(_upload(make_wheel(tmp_path, "plain", version), world.token))
    assert _rows(world.db) == []
    assert world.changes == []
