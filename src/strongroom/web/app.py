"""Building the ASGI application from settings: the only place web services are assembled."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette

from strongroom.config import Settings
from strongroom.db.engine import Database
from strongroom.index import FileChangeFeed, IndexReader
from strongroom.storage import LocalBlobStore
from strongroom.tokens import TokenService
from strongroom.upload import UploadService
from strongroom.web import reason
from strongroom.web.reads import read_routes
from strongroom.web.upload import upload_routes


def create_app(settings: Settings) -> Starlette:
    """The whole index as one ASGI app; migrates the database to the newest schema first."""
    reason.install()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    db.migrate()
    blobs = LocalBlobStore(settings.resolved_storage_path)
    feed = FileChangeFeed(settings.data_dir / "serial")
    uploads = UploadService(db, blobs, TokenService(db), settings.limits, on_commit=feed.publish,
                            scratch_dir=settings.data_dir / "tmp")
    (settings.data_dir / "tmp").mkdir(exist_ok=True)
    reader = IndexReader(db, blobs, feed)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        db.dispose()

    return Starlette(routes=[*read_routes(reader), *upload_routes(uploads)], lifespan=lifespan)
