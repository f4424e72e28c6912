"""A small read-side index for tests: database, blobs, change feed, reader and a builder."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event, select
from starlette.applications import Starlette
from starlette.types import ASGIApp, Receive, Scope, Send

from strongroom.db import journal
from strongroom.db.base import utcnow
from strongroom.db.engine import Database
from strongroom.domain.access import PUBLIC, SIGNED_IN, ReadAccess
from strongroom.domain.principals import READ, Credentials, Principal
from strongroom.index import FileChangeFeed, IndexReader
from strongroom.projects import Project, journal_changes
from strongroom.storage import LocalBlobStore
from strongroom.tokens import TokenService
from strongroom.upload import File, Release
from strongroom.web.ratelimit import AddressFailures
from strongroom.web.reads import Reads

BASE_URL = "http://idx.test"  # the configured base URL of the test index's JSON API


@contextmanager
def sql_statements(db: Database) -> Iterator[list[str]]:
    """Collect every SQL statement the engine sends while the block runs."""
    seen: list[str] = []

    def listener(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


class Index:
    """A database, blob store, change feed and reader, plus a one-line release builder."""

    def __init__(self, db: Database, tmp_path: Path) -> None:
        self.db = db
        self.blobs = LocalBlobStore(tmp_path / "blobs")
        self.feed = FileChangeFeed(tmp_path / "serial")
        self.reader = IndexReader(db, self.blobs, self.feed, base_url=BASE_URL)

    def app(self, inner: ASGIApp | None = None, *, access: ReadAccess = PUBLIC,
            base_url: str = BASE_URL) -> Reads:
        """The read API over this index, with ``BASE_URL`` as the configured base URL, in
        front of ``inner`` (by default an app that answers everything else with 404)."""
        return Reads(inner or Starlette(), self.reader, base_url=base_url, access=access)

    def private_app(self, failures: AddressFailures | None = None) -> tuple[Reads, str]:
        """The read API of a private index (signed-in readers only; API tokens verified by
        the token service, failed ones limited by ``failures`` when given), and a read-only
        token of the user 'reader', whom the test has made."""
        tokens = TokenService(self.db)

        def authenticate(credentials: Credentials, project: str | None) -> Principal:
            return tokens.authenticate(credentials, project=project or "", now=utcnow(),
                                       action=READ)

        reads = Reads(Starlette(), self.reader, base_url=BASE_URL, access=SIGNED_IN,
                      authenticate=authenticate, failures=failures)
        return reads, tokens.create("reader", now=utcnow(), read_only=True)

    def release(self, name: str, version: str, *, status: str = "active",
                publish: bool = True, padding: int = 0) -> tuple[str, str]:
        """Add ``name`` ``version`` with one wheel (and its metadata file); returns both hashes.

        ``padding`` adds that many bytes to the wheel, for tests of large files."""
        filename = f"{name.lower().replace('-', '_')}-{version}-py3-none-any.whl"
        content = f"wheel {filename}".encode() + bytes(padding)
        metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
        sha = hashlib.sha256(content).hexdigest()
        meta_sha = hashlib.sha256(metadata).hexdigest()
        self.blobs.put(sha, io.BytesIO(content))
        self.blobs.put(meta_sha, io.BytesIO(metadata))
        normalized = name.lower()
        with self.db.write() as session:
            project = session.scalar(select(Project).where(Project.normalized_name == normalized))
            if project is None:
                project = Project(name=name, normalized_name=normalized)
                session.add(project)
            project.status = status
            release = Release(project=project, version=version, canonical_version=version,
                              requires_python=">=3.9",
                              core_metadata={"name": name, "version": version,
                                             "summary": f"{name} summary"})
            session.add(release)
            session.add(File(release=release, filename=filename, packagetype="bdist_wheel",
                             python_version="py3", size=len(content), sha256=sha,
                             blake2_256=hashlib.blake2b(content, digest_size=32).hexdigest(),
                             md5=hashlib.md5(content).hexdigest(),  # noqa: S324
                             requires_python=">=3.9", metadata_sha256=meta_sha))
            session.flush()
            serial = journal_changes(session.connection(), project=normalized,
                                     changes=[journal.Change("new release", version=version)],
                                     now=utcnow())
        if publish:
            self.feed.publish(serial)
        return sha, meta_sha


class Counting:
    """An ASGI app passing requests to ``app``, counting the HTTP requests that reach it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.calls = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            self.calls += 1
        await self.app(scope, receive, send)
