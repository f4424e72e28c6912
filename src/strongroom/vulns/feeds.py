"""Fetching a zip of records over http(s), and ``sync``: fetch it again only when it changed.

The feed's validators (ETag, Last-Modified) are kept in ``vulnerability_feeds`` and sent back
as If-None-Match / If-Modified-Since: a 304 imports nothing. The download is streamed to a
temporary file and stops at ``max_bytes``; a request that takes longer than ``timeout``
seconds between bytes fails.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from typing import IO

import httpx
from sqlalchemy import select

from strongroom.db.engine import Database
from strongroom.errors import InvalidInput, TooLarge, Unavailable
from strongroom.vulns.importing import import_readings
from strongroom.vulns.models import VulnerabilityFeed
from strongroom.vulns.report import ImportReport
from strongroom.vulns.sources import ZipSource
from strongroom.vulns.store import VulnerabilityStore

MAX_ARCHIVE_BYTES = 256 << 20  # osv.dev's whole PyPI/all.zip is a few MB
TIMEOUT = 60.0
_CHUNK = 1 << 16


@dataclass
class Download:
    """A fetched archive: ``file`` (None when the server said 304 Not Modified) and the
    validators it came with."""

    file: IO[bytes] | None
    etag: str | None = None
    last_modified: str | None = None


def is_url(location: str) -> bool:
    """Whether ``location`` is an http(s) URL rather than a path."""
    return location.startswith(("http://", "https://"))


def download(url: str, *, etag: str | None = None, last_modified: str | None = None,
             max_bytes: int = MAX_ARCHIVE_BYTES, timeout: float = TIMEOUT,
             transport: httpx.BaseTransport | None = None) -> Download:
    """GET ``url`` (conditionally when validators are given) into a temporary file.

    Raises InvalidInput for a URL that is not http(s) or a 4xx answer, TooLarge past
    ``max_bytes``, Unavailable when the server cannot be reached, times out or fails (5xx).
    """
    if not is_url(url):
        raise InvalidInput(f"{url!r}: not an http:// or https:// URL")
    headers = {"Accept": "application/zip, */*"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        with httpx.Client(timeout=timeout, transport=transport, follow_redirects=True) as client, \
                client.stream("GET", url, headers=headers) as response:
            if response.status_code == 304:
                return Download(None, etag, last_modified)
            if response.status_code >= 400:
                error = InvalidInput if response.status_code < 500 else Unavailable
                raise error(f"{url}: the server answered HTTP {response.status_code}")
            declared = response.headers.get("Content-Length", "")
            if declared.isdigit() and int(declared) > max_bytes:
                raise TooLarge(f"{url}: {declared} bytes, more than the {max_bytes} allowed")
            file = tempfile.TemporaryFile()  # noqa: SIM115  (the caller closes it)
            size = 0
            for chunk in response.iter_bytes(_CHUNK):
                size += len(chunk)
                if size > max_bytes:
                    file.close()
                    raise TooLarge(f"{url}: more than the {max_bytes} bytes allowed")
                file.write(chunk)
            file.seek(0)
            return Download(file, response.headers.get("ETag"),
                            response.headers.get("Last-Modified"))
    except httpx.InvalidURL as exc:
        raise InvalidInput(f"{url!r}: not a usable URL ({exc})") from exc
    except httpx.HTTPError as exc:
        raise Unavailable(f"{url}: could not fetch ({type(exc).__name__}: {exc})") from exc


def zip_of(url: str, fetched: Download) -> ZipSource:
    """The records of a downloaded archive. Raises InvalidInput when it is not a zip."""
    if fetched.file is None:
        raise ValueError("nothing was downloaded")
    return ZipSource(url, fetched.file)


@dataclass(frozen=True)
class SyncResult:
    """What one sync did: ``report`` is None when the feed had not changed (304)."""

    url: str
    report: ImportReport | None


class FeedState:
    """The validators and last outcome kept per feed URL in ``vulnerability_feeds``."""

    def __init__(self, db: Database, clock: Callable[[], dt.datetime]) -> None:
        self._db = db
        self._clock = clock

    def validators(self, url: str) -> tuple[str | None, str | None]:
        """The ETag and Last-Modified of the copy of ``url`` last imported."""
        with self._db.read() as session:
            feed = session.scalar(select(VulnerabilityFeed).where(VulnerabilityFeed.url == url))
            return (None, None) if feed is None else (feed.etag, feed.last_modified)

    def checked(self, url: str, fetched: Download, records: int | None) -> None:
        """Remember that ``url`` was checked now; with ``records`` (the count imported), that
        ``fetched`` was imported and its validators are the ones to send next time."""
        now = self._clock()
        with self._db.write() as session:
            feed = session.get(VulnerabilityFeed, url)
            if feed is None:
                feed = VulnerabilityFeed(url=url, records=0)
                session.add(feed)
            feed.checked = now
            if records is not None:
                feed.etag, feed.last_modified = fetched.etag, fetched.last_modified
                feed.imported, feed.records = now, records


def sync_feed(url: str, store: VulnerabilityStore, state: FeedState, *,
              progress_for: Callable[[int], Callable[[int], None]] | None = None,
              max_bytes: int = MAX_ARCHIVE_BYTES, timeout: float = TIMEOUT,
              transport: httpx.BaseTransport | None = None) -> SyncResult:
    """Fetch ``url`` unless it is unchanged since the copy last imported, and import it.

    ``progress_for(total)`` gives the progress callback for an archive of ``total`` records.
    Raises as ``download`` does, and InvalidInput when the answer is not a zip; the feed's
    validators move only after a whole import.
    """
    etag, last_modified = state.validators(url)
    fetched = download(url, etag=etag, last_modified=last_modified, max_bytes=max_bytes,
                       timeout=timeout, transport=transport)
    if fetched.file is None:
        state.checked(url, fetched, None)
        return SyncResult(url, None)
    try:
        source = zip_of(url, fetched)
        progress = progress_for(source.total) if progress_for is not None else None
        report = import_readings(store, source, source=url, progress=progress)
    finally:
        fetched.file.close()
    state.checked(url, fetched, report.records - report.counts["refused"])
    return SyncResult(url, report)
