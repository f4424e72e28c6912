"""IndexReader: the read side's one entry point, serving pages from memory.

Rendered pages are kept as bytes keyed by (kind, normalised project, format ...). A warm request
costs one ``stat`` (the change feed) and a dictionary lookup: no SQL, no rendering. When the feed
moves past the serial this reader last saw, it asks the journal which projects changed since and
drops exactly their entries plus the pages listing every project. A miss renders once per key
(concurrent requests for the same key wait for that render) in a worker thread. A page found not
to exist (an unknown project or version) is remembered the same way, until a write names its
project.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import cached_property, partial
from pathlib import Path
from typing import BinaryIO, TypeVar

from starlette.concurrency import run_in_threadpool

from strongroom.db import journal
from strongroom.db.engine import Database
from strongroom.domain import jsonapi
from strongroom.domain.advisories import Advisory
from strongroom.domain.osvapi import Mark
from strongroom.domain.simple import (
    ProjectView,
    render_index_html,
    render_index_json,
    render_project_html,
    render_project_json,
)
from strongroom.index.cache import ALL_PROJECTS, Page, ReadCache
from strongroom.index.changes import ChangeFeed
from strongroom.index.metadata_files import metadata_file_sound
from strongroom.index.views import (
    load_advisories,
    load_core_metadata,
    load_file,
    load_index,
    load_project,
    load_provenance,
    load_release_marks,
)
from strongroom.storage import BlobStore

DEFAULT_MAX_ENTRIES = 20_000
DEFAULT_MAX_BYTES = 256 * 1024 * 1024
# What an entry costs beyond the text of its key (and a page's body), roughly, in bytes: keys
# and missing pages carry names and versions from request paths, which a client chooses.
_FILE_ENTRY_SIZE = 256
_ABSENT_ENTRY_SIZE = 256
# A render either always yields a page (the root) or may find nothing (a project, a version).
_P = TypeVar("_P", Page, Page | None)
# Renders a JSON API document from the project, its releases' metadata and its advisories.
_RenderDocument = Callable[[ProjectView, jsonapi.MetadataOf, Sequence[Advisory]], bytes | None]


@dataclass(frozen=True)
class BlobTarget:
    """A file to send: the blob's key, its store, its name, the project it belongs to (which
    read access is decided on) and when it was uploaded (a metadata file: its distribution);
    a local path when the store has one, worked out on first use (a page locates all its
    files, and most are never sent)."""

    sha256: str
    size: int | None
    filename: str
    store: BlobStore
    project: str
    uploaded: dt.datetime

    @cached_property
    def local_path(self) -> Path | None:
        """Where the blob lies on this machine's disk, for zero-copy sending; None if remote."""
        return self.store.local_path(self.sha256)


class IndexReader:
    """Serves simple pages, JSON API documents, provenance objects and file locations, cached
    until they change.

    ``fmt`` is ``"html"`` or ``"json"``. Page methods return None for an unknown project (or
    version). All public methods are coroutines that only leave the event loop on a miss.
    ``base_url`` (the index's configured one, no trailing slash) starts the provenance URLs of
    simple pages; "" leaves them absolute paths.
    """

    def __init__(
        self,
        db: Database,
        blobs: BlobStore,
        feed: ChangeFeed,
        *,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        max_bytes: int = DEFAULT_MAX_BYTES,
        base_url: str = "",
    ) -> None:
        self.db = db
        self.blobs = blobs
        self.feed = feed
        self.base_url = base_url.rstrip("/")
        self._pages: ReadCache[Page] = ReadCache(max_entries, max_bytes)
        self._files: ReadCache[BlobTarget] = ReadCache(max_entries,
                                                       max_entries * 2 * _FILE_ENTRY_SIZE)
        # Keys whose render found nothing: clients ask every index for names it lacks (pip
        # with --extra-index-url asks a private index for each public dependency).
        self._absent: ReadCache[bool] = ReadCache(max_entries, max_entries * 2 * _ABSENT_ENTRY_SIZE)
        self._seen = feed.current()
        self._sync_lock = threading.Lock()

    @property
    def cache(self) -> ReadCache[Page]:
        """The page cache (for its size and bounds)."""
        return self._pages

    # -- keeping up with writers -------------------------------------------------------------

    def _catch_up(self) -> None:
        with self._sync_lock:
            current = self.feed.current()
            if current <= self._seen:
                return
            with self.db.read() as session:
                changed = journal.projects_changed_since(session, self._seen)
            self._pages.invalidate(changed)
            self._files.invalidate(changed)
            self._absent.invalidate(changed)
            self._seen = current

    async def _fresh(self) -> None:
        if self.feed.current() > self._seen:
            await run_in_threadpool(self._catch_up)

    # -- the cache protocol -----------------------------------------------------------------

    def _fill(self, key: Hashable, project: str, render: Callable[[], _P]) -> _P | Page:
        with self._pages.lock_for(key):
            hit = self._pages.get(key)
            if hit is not None:
                return hit
            epoch, absent_epoch = self._pages.epoch, self._absent.epoch
            page = render()
            if page is None:
                self._absent.put(key, project, True, _ABSENT_ENTRY_SIZE + _text_size(key),
                                 absent_epoch)
            else:
                self._pages.put(key, project, page, len(page.body) + _text_size(key), epoch)
            return page

    async def _cached(self, key: Hashable, project: str, render: Callable[[], _P]) -> _P | Page:
        """The cached page for ``key``, else ``render``'s, rendered once in a worker thread."""
        hit = self._pages.get(key)
        if hit is not None:
            return hit
        return await run_in_threadpool(self._fill, key, project, render)

    async def _page(self, key: Hashable, project: str, render: Callable[[], _P]) -> _P | Page:
        await self._fresh()
        return await self._cached(key, project, render)

    async def _page_or_none(self, key: Hashable, project: str,
                            render: Callable[[], Page | None]) -> Page | None:
        """``_page`` for a page that may not exist; a miss is remembered like a page, until a
        write names ``project``."""
        await self._fresh()
        if self._absent.get(key):
            return None
        return await self._cached(key, project, render)

    def _load(self, project: str) -> ProjectView | None:
        with self.db.read() as session:
            return load_project(session, project)

    def _document(self, project: str, render_fn: _RenderDocument) -> Page | None:
        """A JSON API document of ``project``, read in one transaction with the advisories that
        concern it (one more query, for a project with visible releases only); None when
        unknown. A change to an advisory reaches the document as a journal entry of the
        project, like any other change."""
        with self.db.read() as session:
            view = load_project(session, project)
            if view is None:
                return None
            advisories = load_advisories(session, project) if view.visible_releases else []
            body = render_fn(view, partial(load_core_metadata, session, project), advisories)
        return None if body is None else Page.of(body, view.last_serial)

    # -- pages --------------------------------------------------------------------------------

    def warm_page(self, project: str, fmt: str) -> Page | None:
        """The cached simple page of ``project`` (``ALL_PROJECTS`` for ``/simple/``), when no
        write has been announced since this reader caught up; None sends the caller to the
        coroutine that checks, renders and caches."""
        if self.feed.current() > self._seen:
            return None
        return self._pages.get(("simple", project, fmt))

    async def index_page(self, fmt: str) -> Page:
        """``/simple/`` in ``fmt``; its serial is the journal's newest.

        Rendered from a stream of rows straight into bytes, then cached like any page (a few
        megabytes for 100,000 projects): a warm read costs a lookup, where streaming every
        response from the database would cost a scan of every project per request.
        """

        def render() -> Page:
            render_fn = render_index_json if fmt == "json" else render_index_html
            with self.db.read() as session:
                entries, serial = load_index(session)
                body = render_fn(entries, serial)
            return Page.of(body, serial)

        return await self._page(("simple", ALL_PROJECTS, fmt), ALL_PROJECTS, render)

    async def project_page(self, project: str, fmt: str) -> Page | None:
        """``/simple/<project>/`` in ``fmt`` for a normalised name; None when unknown."""

        def render() -> Page | None:
            files_epoch = self._files.epoch
            view = self._load(project)
            if view is None:
                return None
            self._remember_files(view, files_epoch)
            render_fn = render_project_json if fmt == "json" else render_project_html
            return Page.of(render_fn(view, self.base_url), view.last_serial)

        return await self._page_or_none(("simple", project, fmt), project, render)

    async def project_document(self, project: str, base_url: str) -> Page | None:
        """PyPI's ``/pypi/<project>/json``; None when unknown or without visible releases."""

        render = partial(self._document, project, lambda view, metadata_of, advisories:
                         jsonapi.render_project_document(view, base_url, metadata_of,
                                                         advisories))
        return await self._page_or_none(("pypi", project, "", base_url), project, render)

    async def release_document(self, project: str, version: str, base_url: str) -> Page | None:
        """PyPI's ``/pypi/<project>/<version>/json``; None when unknown."""

        render = partial(self._document, project, lambda view, metadata_of, advisories:
                         jsonapi.render_release_document(view, version, base_url, metadata_of,
                                                         advisories))
        return await self._page_or_none(("pypi", project, version, base_url), project, render)

    async def provenance(self, project: str, version: str, filename: str) -> Page | None:
        """The PEP 740 provenance object of ``filename`` in ``project`` (normalised) and
        ``version``; None when there is none (or no such file there)."""

        def render() -> Page | None:
            with self.db.read() as session:
                found = load_provenance(session, project, version, filename)
            return None if found is None else Page.of(*found)

        return await self._page_or_none(("integrity", project, version, filename), project,
                                        render)

    def vulnerable_releases(self, project: str) -> list[tuple[str, list[Mark]]]:
        """The releases of ``project`` (normalised) that advisories affect, newest first, with
        their marks, read anew each time (the web UI's project page; not cached): blocking,
        for a worker thread."""
        with self.db.read() as session:
            return load_release_marks(session, project)

    # -- files --------------------------------------------------------------------------------

    def warm_file(self, sha256_path: str, filename: str) -> BlobTarget | None:
        """The cached location of a file, when no write has been announced since this reader
        caught up; None sends the caller to ``file`` or ``locate_file``."""
        if self.feed.current() > self._seen:
            return None
        return self._files.get((sha256_path, filename))

    async def file(self, sha256_path: str, filename: str) -> BlobTarget | None:
        """Locate ``/packages/<a>/<b>/<rest>/<filename>`` (or its ``.metadata``); None if unknown.

        ``sha256_path`` is ``a + b + rest``. Only found locations are cached (here, and for
        the distributions of every project page rendered), under the owning project, so a
        deletion or quarantine drops them.
        """
        hit = self.warm_file(sha256_path, filename)
        if hit is not None:
            return hit
        return await run_in_threadpool(self.locate_file, sha256_path, filename)

    def _remember_files(self, view: ProjectView, epoch: int) -> None:
        """Cache where the distributions a project page lists live, from the rows the page was
        rendered from: installers read the page before they download, so a first download finds
        its file without a query. Metadata files are left to ``locate_file``, which checks them
        before it caches them."""
        for release in view.visible_releases:
            for file in release.files:
                target = BlobTarget(file.sha256, file.size, file.filename, self.blobs,
                                    view.normalized_name, file.upload_time)
                self._files.put((file.sha256, file.filename), view.normalized_name, target,
                                _FILE_ENTRY_SIZE + len(file.filename), epoch)

    def locate_file(self, sha256_path: str, filename: str) -> BlobTarget | None:
        """``file`` for a caller already off the event loop: catch up, look up, cache. A metadata
        file is checked (and made again if a crash damaged it) before it is first cached:
        ``metadata_files.py``."""
        self._catch_up()
        key = (sha256_path, filename)
        hit = self._files.get(key)
        if hit is not None:
            return hit
        epoch = self._files.epoch
        with self.db.read() as session:
            stored = load_file(session, sha256_path, filename)
        if stored is None:
            return None
        if stored.source is not None and not metadata_file_sound(self.blobs, stored):
            return None
        target = BlobTarget(stored.sha256, stored.size, filename, self.blobs, stored.project,
                            stored.uploaded)
        self._files.put(key, stored.project, target, _FILE_ENTRY_SIZE + len(filename), epoch)
        return target

    def open_blob(self, sha256: str) -> BinaryIO:
        """Open a blob for streaming, for stores without local paths."""
        return self.blobs.open(sha256)


def _text_size(key: Hashable) -> int:
    """The bytes of text in a cache key (a tuple of names, versions and formats)."""
    parts = key if isinstance(key, tuple) else (key,)
    return sum(len(part) for part in parts if isinstance(part, str))
