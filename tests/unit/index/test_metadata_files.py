"""A wheel's metadata file is stored unflushed at upload; the read side checks it before first
use and makes it again from the wheel when a crash left it missing or cut short."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import select
from tests.builders import make_wheel

from strongroom.accounts import AccountService
from strongroom.config import Limits
from strongroom.db.engine import Database
from strongroom.domain.principals import Credentials
from strongroom.domain.wheels import wheel_metadata
from strongroom.index import FileChangeFeed, IndexReader
from strongroom.rendering import ReadmeSandbox
from strongroom.storage import LocalBlobStore
from strongroom.tokens import TokenService
from strongroom.upload import File, UploadRequest, UploadService

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


class Published:
    """One wheel uploaded through the real pipeline, and a fresh reader of the index."""

    def __init__(self, db: Database, tmp_path: Path, readmes: ReadmeSandbox) -> None:
        AccountService(db).create_user("alice", email="alice@example.org",
                                       password="a long enough password")
        tokens = TokenService(db)
        self.db, self.blobs = db, LocalBlobStore(tmp_path / "files")
        self.feed = FileChangeFeed(tmp_path / "serial")
        service = UploadService(db, self.blobs, tokens, Limits(), render=readmes,
                                on_commit=lambda written: self.feed.publish(written.serial),
                                clock=lambda: NOW)
        self.wheel = make_wheel(tmp_path, "demo", "1.0")
        data = self.wheel.read_bytes()
        fields = {":action": "file_upload", "protocol_version": "1", "name": "demo",
                  "version": "1.0", "filetype": "bdist_wheel", "pyversion": "py3",
                  "sha256_digest": hashlib.sha256(data).hexdigest()}
        service.upload(UploadRequest(
            fields={k: [v] for k, v in fields.items()}, content=io.BytesIO(data),
            content_filename=self.wheel.name,
            credentials=Credentials(tokens.create("alice", now=NOW))))
        with db.read() as session:
            self.sha256, self.metadata_sha256 = session.execute(
                select(File.sha256, File.metadata_sha256)).one()
        with zipfile.ZipFile(self.wheel) as archive:
            self.metadata = archive.read("demo-1.0.dist-info/METADATA")

    def locate_metadata(self) -> Path | None:
        """What a new server process finds for the wheel's ``.metadata`` URL."""
        reader = IndexReader(self.db, self.blobs, self.feed)
        target = reader.locate_file(self.sha256, self.wheel.name + ".metadata")
        return None if target is None else target.local_path


@pytest.fixture
def published(database: Database, tmp_path: Path, readmes: ReadmeSandbox) -> Published:
    return Published(database, tmp_path, readmes)


def test_the_stored_metadata_file_is_the_wheels_own(published: Published) -> None:
    assert hashlib.sha256(published.metadata).hexdigest() == published.metadata_sha256
    path = published.locate_metadata()
    assert path is not None
    assert path.read_bytes() == published.metadata


@pytest.mark.parametrize("damage", ["cut short", "emptied", "missing"])
def test_a_damaged_metadata_file_is_made_again_from_the_wheel(published: Published,
                                                              damage: str) -> None:
    stored = published.blobs.local_path(published.metadata_sha256)
    assert stored is not None
    if damage == "missing":
        stored.unlink()
    else:
        stored.write_bytes(published.metadata[:10] if damage == "cut short" else b"")
    path = published.locate_metadata()
    assert path == stored
    assert stored.read_bytes() == published.metadata


def test_a_metadata_file_that_cannot_be_made_again_is_not_served(published: Published) -> None:
    stored = published.blobs.local_path(published.metadata_sha256)
    wheel = published.blobs.local_path(published.sha256)
    assert stored is not None
    assert wheel is not None
    stored.write_bytes(b"garbage")
    wheel.unlink()
    assert published.locate_metadata() is None
    assert stored.read_bytes() == b"garbage"  # nothing wrong was written in its place


def test_wheel_metadata_reads_the_dist_info_metadata(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "demo", "1.0")
    with wheel.open("rb") as stream:
        data = wheel_metadata(stream)
    assert data is not None
    assert data.startswith(b"Metadata-Version: 2.1\nName: demo\n")
    assert wheel_metadata(io.BytesIO(b"not a zip")) is None
