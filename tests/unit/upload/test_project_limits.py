"""A project's own limits: its file and total size limits replace the index's defaults in every
way in (upload and import), the expansion cap follows its file limit, and the web layer learns
how large a body a project may send."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

import pytest
from sqlalchemy import update

from strongroom.accounts import AccountService
from strongroom.config import Limits
from strongroom.db.engine import Database
from strongroom.domain.principals import Credentials, Principal, PrincipalKind
from strongroom.errors import UploadRejected
from strongroom.projects import Project
from strongroom.rendering import ReadmeSandbox
from strongroom.storage import LocalBlobStore
from strongroom.tokens import TokenService
from strongroom.upload import UploadRequest, UploadService
from tests.builders import make_wheel

NOW = dt.datetime(2026, 12, 8, 12, 0, tzinfo=dt.UTC)
# Defaults small enough for test files: 8 KB per file, 40 KB per project, 100 KB expanded.
DEFAULTS = Limits(max_file_size=8000, max_project_size=40_000, max_uncompressed_size=100_000)


class Index:
    def __init__(self, database: Database, tmp_path: Path, readmes: ReadmeSandbox) -> None:
        AccountService(database).create_user("alice", email="alice@example.org",
                                             password="a long enough password")
        tokens = TokenService(database)
        self.token = tokens.create("alice", now=NOW)
        self.db = database
        self.principal = Principal(PrincipalKind.ADMIN, name="alice", user_id=1)
        self.service = UploadService(database, LocalBlobStore(tmp_path / "files"), tokens,
                                     DEFAULTS, render=readmes, on_commit=lambda _w: None,
                                     clock=lambda: NOW)

    def upload(self, path: Path) -> int | None:
        data = path.read_bytes()
        name, version = path.name.split("-")[:2]
        fields = {":action": "file_upload", "protocol_version": "1", "name": name,
                  "version": version, "filetype": "bdist_wheel", "pyversion": "py3",
                  "sha256_digest": hashlib.sha256(data).hexdigest()}
        request = UploadRequest(fields={k: [v] for k, v in fields.items()},
                                content=io.BytesIO(data), content_filename=path.name,
                                credentials=Credentials(self.token))
        return self.service.upload(request).serial

    def set_limits(self, file_size: int | None, total: int | None) -> None:
        with self.db.write() as session:
            session.execute(update(Project).values(upload_limit=file_size,
                                                   total_size_limit=total))


@pytest.fixture
def index(database: Database, tmp_path: Path, readmes: ReadmeSandbox) -> Index:
    return Index(database, tmp_path, readmes)


def _big(tmp_path: Path, version: str, size: int = 20_000) -> Path:
    return make_wheel(tmp_path / version, "Big-Lib", version,
                      extra_files={"big_lib/data.bin": os.urandom(size)})


def test_a_file_over_the_default_is_refused_naming_the_project(index: Index,
                                                               tmp_path: Path) -> None:
    index.upload(make_wheel(tmp_path, "Big-Lib", "0.1"))
    with pytest.raises(UploadRejected, match=r"^content: File too large\. Limit for project "
                                             r"'Big-Lib' is 8000 bytes\.$"):
        index.upload(_big(tmp_path, "1.0"))


def test_a_raised_file_limit_lets_it_through_up_to_the_new_limit(index: Index,
                                                                 tmp_path: Path) -> None:
    index.upload(make_wheel(tmp_path, "Big-Lib", "0.1"))
    index.set_limits(30_000, None)
    assert index.upload(_big(tmp_path, "1.0")) is not None
    with pytest.raises(UploadRejected, match="Limit for project 'Big-Lib' is 30000 bytes"):
        index.upload(_big(tmp_path, "2.0", size=31_000))


def test_a_projects_total_limit_replaces_the_default(index: Index, tmp_path: Path) -> None:
    index.upload(make_wheel(tmp_path, "Big-Lib", "0.1"))
    index.set_limits(30_000, 25_000)
    index.upload(_big(tmp_path, "1.0"))
    with pytest.raises(UploadRejected, match=r"Project size too large\. Limit for project "
                                             r"'Big-Lib' total size is 25000 bytes\."):
        index.upload(_big(tmp_path, "2.0", size=5000))
    index.set_limits(30_000, None)  # back to the default 40 KB
    assert index.upload(_big(tmp_path, "2.0", size=5000)) is not None


def test_import_applies_the_projects_limits_by_its_file_name(index: Index,
                                                             tmp_path: Path) -> None:
    index.upload(make_wheel(tmp_path, "Big-Lib", "0.1"))
    big = _big(tmp_path, "1.0")
    with pytest.raises(UploadRejected, match="Limit for project 'Big-Lib'"):
        index.service.import_file(big, principal=index.principal)
    index.set_limits(30_000, None)
    assert index.service.import_file(big, principal=index.principal).serial is not None


def test_an_import_for_a_new_project_gets_the_defaults(index: Index, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, "fresh", "1.0", extra_files={"fresh/x.bin": os.urandom(9000)})
    with pytest.raises(UploadRejected, match=r"Limit for project 'fresh' is 8000 bytes\.$"):
        index.service.import_file(wheel, principal=index.principal)


def test_the_expansion_cap_follows_the_file_limit(index: Index, tmp_path: Path) -> None:
    index.upload(make_wheel(tmp_path, "Big-Lib", "0.1"))
    # 300 KB of zeros: a small file, expanding past the defaults' 160 KB (20 x 8000).
    roomy = make_wheel(tmp_path / "z", "Big-Lib", "1.0",
                       extra_files={"big_lib/zeros.bin": bytes(300_000)})
    assert roomy.stat().st_size < 8000
    with pytest.raises(UploadRejected, match="expands to more than 160000 bytes"):
        index.upload(roomy)
    index.set_limits(20_000, None)  # 400 KB expanded
    assert index.upload(roomy) is not None


def test_how_large_a_file_the_web_layer_must_accept(index: Index, tmp_path: Path) -> None:
    assert index.service.largest_file(None) == 8000
    assert index.service.largest_file("big-lib") == 8000  # not made yet: the default
    index.upload(make_wheel(tmp_path, "Big-Lib", "0.1"))
    index.set_limits(50_000, None)
    assert index.service.largest_file("BIG_LIB") == 50_000
    assert index.service.largest_file("other") == 8000
    assert index.service.largest_file(None) == 50_000
    index.set_limits(10, None)  # lowered below the default: the default stays the floor
    assert index.service.largest_file(None) == 8000
    assert index.service.largest_file("big-lib") == 10


class LimitsChangeMeanwhile(LocalBlobStore):
    """Runs ``meanwhile`` once, while the upload stores its file (after its checks)."""

    def __init__(self, root: Path, meanwhile: Callable[[], None]) -> None:
        super().__init__(root)
        self.meanwhile: Callable[[], None] | None = meanwhile

    def put(self, sha256: str, source: BinaryIO, *, flush: bool = True) -> None:
        meanwhile, self.meanwhile = self.meanwhile, None
        if meanwhile is not None:
            meanwhile()
        super().put(sha256, source, flush=flush)


@pytest.mark.parametrize(("file_size", "total", "message"), [
    (10_000, None, "File too large. Limit for project 'Big-Lib' is 10000 bytes."),
    (30_000, 21_000, "Project size too large. Limit for project 'Big-Lib' total size is "
                     "21000 bytes."),
])
def test_limits_lowered_during_an_upload_hold_at_its_record_step(
        index: Index, tmp_path: Path, readmes: ReadmeSandbox, file_size: int, total: int | None,
        message: str) -> None:
    index.upload(make_wheel(tmp_path, "Big-Lib", "0.1"))
    index.set_limits(30_000, None)
    blobs = LimitsChangeMeanwhile(tmp_path / "files",
                                  lambda: index.set_limits(file_size, total))
    index.service = UploadService(index.db, blobs, TokenService(index.db), DEFAULTS,
                                  render=readmes, on_commit=lambda _w: None, clock=lambda: NOW)
    with pytest.raises(UploadRejected) as rejected:
        index.upload(_big(tmp_path, "1.0"))
    assert [p.reason for p in rejected.value.problems] == [message]
