"""The upload pipeline against a real database and blob store: the rules that need state."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import io
import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pytest
from sqlalchemy import func, select, update

from strongroom.accounts import AccountService
from strongroom.config import Limits
from strongroom.db import journal
from strongroom.db.engine import Database
from strongroom.db.models import JournalEntry
from strongroom.domain.principals import Credentials, Principal, PrincipalKind
from strongroom.errors import Conflict, Forbidden, StorageUnavailable, UploadRejected
from strongroom.projects import Project
from strongroom.rendering import ReadmeSandbox
from strongroom.storage import LocalBlobStore
from strongroom.tokens import TokenService
from strongroom.upload import File, FilenameRegistry, Release, UploadRequest, UploadService
from tests.builders import make_sdist, make_wheel

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


@dataclasses.dataclass
class World:
    db: Database
    service: UploadService
    blobs: LocalBlobStore
    tokens: dict[str, str]
    published: list[journal.Written]
    readmes: ReadmeSandbox


@pytest.fixture
def world(database: Database, tmp_path: Path, readmes: ReadmeSandbox) -> World:
    accounts, token_service = AccountService(database), TokenService(database)
    tokens = {}
    for user in ("alice", "bob"):
        accounts.create_user(user, email=f"{user}@example.org", password="a long enough password")
        tokens[user] = token_service.create(user, now=NOW)
    published: list[journal.Written] = []
    blobs = LocalBlobStore(tmp_path / "files")
    service = UploadService(database, blobs, token_service,
                            Limits(max_project_size=3000), render=readmes,
                            on_commit=published.append, clock=lambda: NOW)
    return World(database, service, blobs, tokens, published, readmes)


def _request(path: Path, token: str, **overrides: str) -> UploadRequest:
    data = path.read_bytes()
    name, version = path.name.split("-")[:2]
    fields = {":action": "file_upload", "protocol_version": "1", "name": name,
              "version": version.removesuffix(".tar.gz"),
              "filetype": "bdist_wheel" if path.suffix == ".whl" else "sdist",
              "pyversion": "py3" if path.suffix == ".whl" else "source",
              "sha256_digest": hashlib.sha256(data).hexdigest(), **overrides}
    return UploadRequest(fields={k: [v] for k, v in fields.items()}, content=io.BytesIO(data),
                         content_filename=path.name, credentials=Credentials(token),
                         user_agent="test")


def test_upload_records_project_release_file_and_journal(world: World, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "demo", "1.0")
    outcome = world.service.upload(_request(wheel, world.tokens["alice"]))
    assert outcome.serial == 4  # create, add Owner, new release, add file
    assert world.published == [journal.Written(4, {"demo": frozenset({"1.0"})})]
    with world.db.read() as session:
        row = session.scalars(select(File)).one()
        assert row.filename == wheel.name
        assert row.sha256 == hashlib.sha256(wheel.read_bytes()).hexdigest()
        assert row.metadata_sha256 is not None
        assert world.blobs.exists(row.sha256)
        assert world.blobs.exists(row.metadata_sha256)
        actions = session.scalars(select(JournalEntry.action).order_by(JournalEntry.id)).all()
        assert actions == ["create", "add Owner alice", "new release",
                           f"add py3 file {wheel.name}"]
        assert journal.verify_chain(session) is None


def test_a_deleted_file_name_is_never_reused(world: World, tmp_path: Path) -> None:
    with world.db.write() as session:
        session.add(FilenameRegistry(filename="demo-1.0-py3-none-any.whl"))
    wheel = make_wheel(tmp_path, "demo", "1.0")
    with pytest.raises(Conflict, match="previously used by a file that has since been deleted"):
        world.service.upload(_request(wheel, world.tokens["alice"]))
    with world.db.read() as session:
        assert session.scalar(select(func.count(Project.id))) == 0


def test_one_sdist_per_release(world: World, tmp_path: Path) -> None:
    world.service.upload(_request(make_sdist(tmp_path / "a", "demo", "1.0"),
                                  world.tokens["alice"]))
    second = make_sdist(tmp_path / "b", "demo", "1.0", filename="demo-1.0.tar.gz",
                        description="other bytes")
    assert second.read_bytes() != (tmp_path / "a" / "demo-1.0.tar.gz").read_bytes()
    with pytest.raises(Conflict, match="File already exists"):
        world.service.upload(_request(second, world.tokens["alice"]))


def test_project_size_limit(world: World, tmp_path: Path) -> None:
    first = make_wheel(tmp_path, "demo", "1.0", extra_files={"demo/big.txt": b"x" * 10})
    world.service.upload(_request(first, world.tokens["alice"]))
    big = make_wheel(tmp_path, "demo", "2.0",
                     extra_files={"demo/big.bin": os.urandom(4000)})
    with pytest.raises(UploadRejected, match="Project size too large"):
        world.service.upload(_request(big, world.tokens["alice"]))


@pytest.mark.parametrize("status", ["archived", "quarantined"])
def test_closed_projects_refuse_their_owner(world: World, tmp_path: Path, status: str) -> None:
    world.service.upload(_request(make_wheel(tmp_path, "demo", "1.0"), world.tokens["alice"]))
    with world.db.write() as session:
        session.execute(update(Project).values(status=status))
    with pytest.raises(Forbidden, match=status):
        world.service.upload(_request(make_wheel(tmp_path, "demo", "2.0"),
                                      world.tokens["alice"]))


def test_the_form_must_agree_with_the_file(world: World, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "demo", "1.0", requires_python=">=3.9")
    with pytest.raises(UploadRejected) as rejected:
        world.service.upload(_request(wheel, world.tokens["alice"], version="1.1",
                                      requires_python=">=3.6"))
    assert [p.field for p in rejected.value.problems] == ["version", "requires_python"]


def test_others_cannot_upload_and_nothing_is_stored(world: World, tmp_path: Path) -> None:
    world.service.upload(_request(make_wheel(tmp_path, "demo", "1.0"), world.tokens["alice"]))
    blobs_before = sorted(k for k, _ in world.blobs.list())
    with pytest.raises(Forbidden, match="The user 'bob' isn't allowed"):
        world.service.upload(_request(make_wheel(tmp_path, "demo", "2.0"), world.tokens["bob"]))
    assert sorted(k for k, _ in world.blobs.list()) == blobs_before


def test_the_same_file_again_is_a_no_op_for_its_uploader(world: World, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "demo", "1.0")
    world.service.upload(_request(wheel, world.tokens["alice"]))
    again = world.service.upload(_request(wheel, world.tokens["alice"]))
    assert (again.filename, again.serial) == (wheel.name, None)
    assert len(world.published) == 1


@pytest.mark.parametrize(("uploader", "overrides", "error", "message"), [
    # a stranger naming the file's project is refused before anything is said of the file
    ("bob", {}, Forbidden, "The user 'bob' isn't allowed"),
    # ... and naming a new project of his own, the form contradicts the file
    ("bob", {"name": "bobs-project"}, UploadRejected, "name: 'bobs-project' does not match"),
    # the owner's form must pass as for a new file
    ("alice", {"version": "2.0"}, UploadRejected, "version: '2.0' does not match"),
    ("alice", {"filetype": "sdist", "pyversion": "source"}, UploadRejected, "must end in .tar.gz"),
    ("alice", {"sha256_digest": "0" * 64}, UploadRejected, "The digest supplied does not match"),
    ("alice", {"md5_digest": "0" * 32}, UploadRejected, "The digest supplied does not match"),
])
def test_a_stored_file_sent_again_passes_every_check_before_it_is_a_no_op(
        world: World, tmp_path: Path, uploader: str, overrides: dict[str, str],
        error: type[Exception], message: str) -> None:
    wheel = make_wheel(tmp_path, "demo", "1.0")
    world.service.upload(_request(wheel, world.tokens["alice"]))
    with pytest.raises(error, match=re.escape(message)):
        world.service.upload(_request(wheel, world.tokens[uploader], **overrides))
    assert len(world.published) == 1


def test_a_stranger_learns_nothing_of_a_used_file_name(world: World, tmp_path: Path) -> None:
    world.service.upload(_request(make_wheel(tmp_path / "a", "demo", "1.0"),
                                  world.tokens["alice"]))
    other = make_wheel(tmp_path / "b", "demo", "1.0", extra_files={"demo/x.txt": b"x"})
    with pytest.raises(UploadRejected) as refused:
        world.service.upload(_request(other, world.tokens["bob"], name="bobs-project"))
    assert "already exists" not in str(refused.value)
    assert "blake2_256" not in str(refused.value)


def test_import_needs_no_token_but_the_same_checks(world: World, tmp_path: Path) -> None:
    alice = Principal(PrincipalKind.ADMIN, name="alice", user_id=1)
    outcome = world.service.import_file(make_sdist(tmp_path, "imported", "1.0"), principal=alice)
    assert outcome.serial is not None
    bad = tmp_path / "imported-2.0.tar.gz"
    bad.write_bytes(b"not gzip")
    with pytest.raises(UploadRejected, match="Invalid distribution file"):
        world.service.import_file(bad, principal=alice)


def _refused_for_storage_and_nothing_committed(world: World, wheel: Path) -> None:
    with pytest.raises(StorageUnavailable, match="could not save the upload"):
        world.service.upload(_request(wheel, world.tokens["alice"]))
    assert world.published == []
    with world.db.read() as session:
        assert session.scalar(select(func.count(Project.id))) == 0
        assert session.scalar(select(func.count(JournalEntry.id))) == 0
        assert session.scalar(select(func.count(FilenameRegistry.filename))) == 0


def test_nothing_commits_when_the_blob_cannot_be_stored(world: World, tmp_path: Path) -> None:
    # The blob store's scratch folder turned into a file: every write fails, as on a full or
    # broken disk.
    scratch = tmp_path / "files" / "tmp"
    scratch.rmdir()
    scratch.write_bytes(b"")
    wheel = make_wheel(tmp_path, "demo", "1.0")
    _refused_for_storage_and_nothing_committed(world, wheel)
    # The name was not burned: once the disk is back, the same file uploads.
    scratch.unlink()
    scratch.mkdir()
    assert world.service.upload(_request(wheel, world.tokens["alice"])).serial == 4


class Interleaving(LocalBlobStore):
    """A blob store that runs ``meanwhile`` at its first write: after an upload's checks and
    before its write transaction, where another writer can get in."""

    def __init__(self, root: Path, meanwhile: Callable[[], object]) -> None:
        super().__init__(root)
        self.meanwhile: Callable[[], object] | None = meanwhile

    def put(self, sha256: str, source: BinaryIO, *, flush: bool = True) -> None:
        meanwhile, self.meanwhile = self.meanwhile, None
        if meanwhile is not None:
            meanwhile()
        super().put(sha256, source, flush=flush)


def _interleaved(world: World, tmp_path: Path, meanwhile: Callable[[], object]) -> UploadService:
    return UploadService(world.db, Interleaving(tmp_path / "files", meanwhile),
                         TokenService(world.db), Limits(), render=world.readmes,
                         on_commit=world.published.append, clock=lambda: NOW)


def test_the_same_file_uploaded_meanwhile_is_success_without_a_second_row(
        world: World, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "demo", "1.0")
    service = _interleaved(world, tmp_path, lambda: world.service.upload(
        _request(wheel, world.tokens["alice"])))
    assert service.upload(_request(wheel, world.tokens["alice"])).serial is None
    assert [w.serial for w in world.published] == [4]
    with world.db.read() as session:
        assert session.scalar(select(func.count(File.id))) == 1
        assert journal.verify_chain(session) is None


def test_another_file_with_the_name_uploaded_meanwhile_is_a_conflict(
        world: World, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "a", "demo", "1.0")
    other = make_wheel(tmp_path / "b", "demo", "1.0", extra_files={"demo/x.txt": b"x"})
    assert wheel.name == other.name
    assert wheel.read_bytes() != other.read_bytes()
    service = _interleaved(world, tmp_path, lambda: world.service.upload(
        _request(other, world.tokens["alice"])))
    with pytest.raises(Conflict, match=f"File already exists \\('{wheel.name}'"):
        service.upload(_request(wheel, world.tokens["alice"]))
    with world.db.read() as session:
        stored = session.scalars(select(File.sha256)).all()
    assert stored == [hashlib.sha256(other.read_bytes()).hexdigest()]


def test_the_same_bytes_stored_meanwhile_under_another_name_are_a_conflict(
        world: World, tmp_path: Path) -> None:
    world.service.upload(_request(make_sdist(tmp_path, "demo", "0.9"), world.tokens["alice"]))
    wheel = make_wheel(tmp_path, "demo", "1.0")
    data = wheel.read_bytes()

    def store_under_another_name() -> None:
        with world.db.write() as session:
            release_id = session.scalars(select(Release.id)).one()
            session.add(File(release_id=release_id, filename="demo-1.0-py2.py3-none-any.whl",
                             packagetype="bdist_wheel", python_version="py3", size=len(data),
                             sha256=hashlib.sha256(data).hexdigest(),
                             blake2_256=hashlib.blake2b(data, digest_size=32).hexdigest(),
                             md5=hashlib.md5(data).hexdigest()))  # noqa: S324

    service = _interleaved(world, tmp_path, store_under_another_name)
    with pytest.raises(Conflict, match=re.escape("'demo-1.0-py2.py3-none-any.whl'")):
        service.upload(_request(wheel, world.tokens["alice"]))
    with world.db.read() as session:
        assert session.scalar(select(func.count(File.id)).where(File.filename == wheel.name)) == 0


def test_nothing_commits_when_a_blob_cannot_be_moved_into_place(world: World,
                                                                 tmp_path: Path) -> None:
    # The blob's last step (the move into place, after the flush) fails: a file sits where the
    # blob's folder should be. Nothing may commit.
    wheel = make_wheel(tmp_path, "demo", "1.0")
    key = hashlib.sha256(wheel.read_bytes()).hexdigest()
    (tmp_path / "files" / key[:2]).write_bytes(b"")
    _refused_for_storage_and_nothing_committed(world, wheel)
    (tmp_path / "files" / key[:2]).unlink()
    assert world.service.upload(_request(wheel, world.tokens["alice"])).serial == 4


# --- the principal, and the objects errors carry ------------------------------------------

def test_an_admin_import_publishes_for_its_account_as_before(world: World,
                                                             tmp_path: Path) -> None:
    admin = Principal(PrincipalKind.ADMIN, name="alice", user_id=1)
    wheel = make_wheel(tmp_path, "imported", "1.0")
    assert world.service.import_file(wheel, principal=admin).serial == 4
    with world.db.read() as session:
        assert set(session.scalars(select(JournalEntry.submitted_by))) == {"alice"}
        assert session.scalars(select(Release.uploader_id)).one() == 1
        actions = session.scalars(select(JournalEntry.action).order_by(JournalEntry.id)).all()
        assert actions[:2] == ["create", "add Owner alice"]
    with pytest.raises(Forbidden, match="The user 'bob' isn't allowed") as refused:
        world.service.import_file(make_wheel(tmp_path, "imported", "2.0"),
                                  principal=Principal(PrincipalKind.ADMIN, "bob", user_id=2))
    assert refused.value.project == "imported"
    assert refused.value.principal == Principal(PrincipalKind.ADMIN, "bob", user_id=2)


def test_a_principal_without_an_account_cannot_own_a_new_project(world: World,
                                                                 tmp_path: Path) -> None:
    publisher = Principal(PrincipalKind.PUBLISHER, name="ci")
    with pytest.raises(Forbidden, match="Non-user identities cannot create new projects") as \
            refused:
        world.service.import_file(make_wheel(tmp_path, "orphan", "1.0"), principal=publisher)
    assert (refused.value.project, refused.value.principal) == ("orphan", publisher)
    with world.db.read() as session:
        assert session.scalar(select(func.count(Project.id))) == 0


def test_a_refused_uploader_is_carried_with_the_project(world: World, tmp_path: Path) -> None:
    world.service.upload(_request(make_wheel(tmp_path, "demo", "1.0"), world.tokens["alice"]))
    with pytest.raises(Forbidden) as refused:
        world.service.upload(_request(make_wheel(tmp_path, "demo", "2.0"), world.tokens["bob"]))
    assert refused.value.project == "demo"
    assert refused.value.principal is not None
    assert (refused.value.principal.name, refused.value.unnamed()) == ("bob", [])


def test_a_closed_project_is_refused_to_everyone_naming_no_caller(world: World,
                                                                  tmp_path: Path) -> None:
    world.service.upload(_request(make_wheel(tmp_path, "demo", "1.0"), world.tokens["alice"]))
    with world.db.write() as session:
        session.execute(update(Project).values(status="archived"))
    with pytest.raises(Forbidden) as refused:
        world.service.upload(_request(make_wheel(tmp_path, "demo", "2.0"),
                                      world.tokens["alice"]))
    assert (refused.value.project, refused.value.principal) == ("demo", None)


def test_a_project_token_cannot_upload_to_another_project(world: World, tmp_path: Path) -> None:
    world.service.upload(_request(make_wheel(tmp_path, "demo", "1.0"), world.tokens["alice"]))
    scoped = TokenService(world.db).create("alice", now=NOW, project="demo")
    with pytest.raises(Forbidden, match="isn't allowed to upload to project 'other'") as refused:
        world.service.upload(_request(make_wheel(tmp_path, "other", "1.0"), scoped))
    assert refused.value.project == "other"
    assert refused.value.principal is not None
    assert refused.value.principal.name == "alice"
    with world.db.read() as session:
        assert session.scalar(select(func.count(Project.id))) == 1


def test_clashes_and_rejections_carry_their_file(world: World, tmp_path: Path) -> None:
    with world.db.write() as session:
        session.add(FilenameRegistry(filename="demo-1.0-py3-none-any.whl"))
    with pytest.raises(Conflict) as clash:
        world.service.upload(_request(make_wheel(tmp_path, "demo", "1.0"),
                                      world.tokens["alice"]))
    assert clash.value.filename == "demo-1.0-py3-none-any.whl"
    assert clash.value.unnamed() == ["filename"]
    wheel = make_wheel(tmp_path, "demo", "2.0", requires_python=">=3.9")
    with pytest.raises(UploadRejected) as rejected:
        world.service.upload(_request(wheel, world.tokens["alice"], requires_python=">=3.6"))
    assert (rejected.value.project, rejected.value.filename) == ("demo", wheel.name)
