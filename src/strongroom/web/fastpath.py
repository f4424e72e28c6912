"""The hot read path without the framework: warm simple pages and small files.

Almost all of an index's traffic is ``GET /simple/<project>/`` for a page already rendered, and
small files (``.metadata``, most wheels). This ASGI middleware answers exactly those, reading the
raw ASGI scope and sending pre-built header lists, and hands everything else (redirects, 404s,
406s, ranges, query strings, large files, writes) to the full application unchanged. The bytes and
headers it sends are the ones the routes in ``reads.py`` send; both build them with the same
functions.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from strongroom.config import ConnectionLimits
from strongroom.domain.names import is_valid_project_name, normalize
from strongroom.domain.negotiation import is_json, negotiate
from strongroom.index import ALL_PROJECTS, BlobTarget, IndexReader, Page
from strongroom.web.reads import (
    etag_matches,
    file_headers,
    file_media_type,
    page_headers,
    project_keys,
    simple_representation,
)

Headers = list[tuple[bytes, bytes]]
Answer = tuple[int, Headers, bytes]  # status, headers, and the body a GET gets
_MEMO_LIMIT = 4096  # distinct Accept headers / names remembered; real clients send a handful
# Longer values are worked out anew each time rather than remembered, so that what a client
# sends can never make a memo large: 4096 entries of at most 256 bytes each.
_MEMO_KEY_BYTES = 256
_SMALL_FILE = 1024 * 1024
_FILE_CACHE_BYTES = 64 * 1024 * 1024


def _encode(headers: dict[str, str], content_type: str, length: int) -> Headers:
    encoded = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    encoded.append((b"content-type", content_type.encode("latin-1")))
    encoded.append((b"content-length", str(length).encode()))
    return encoded


def _read_small(path: Path) -> bytes | None:
    with path.open("rb") as blob:
        data = blob.read(_SMALL_FILE + 1)
    return data if len(data) <= _SMALL_FILE else None


def _may_be_small(target: BlobTarget) -> bool:
    """False for a file known to be too large to keep (metadata files' sizes are not stored)."""
    return target.size is None or target.size <= _SMALL_FILE


@dataclass(frozen=True)
class _PageRequest:
    project: str  # normalised, or ALL_PROJECTS for the root
    fmt: str
    media_type: str
    if_none_match: bytes | None


@dataclass(frozen=True)
class _FileRequest:
    sha256_path: str
    filename: str
    if_none_match: bytes | None


class FastReads:
    """Serve warm simple pages and small local files straight from the caches.

    As the index's outermost layer it also carries ``connection_limits``, which the HTTP
    protocol (web/protocol.py) reads from the app it serves.
    """

    def __init__(self, app: ASGIApp, reader: IndexReader, *,
                 connection_limits: ConnectionLimits | None = None) -> None:
        self.app = app
        self.reader = reader
        self.connection_limits = connection_limits or ConnectionLimits()
        self._negotiated: dict[bytes | None, str | None] = {}
        self._normal_names: dict[str, bool] = {}
        self._page_headers: dict[tuple[str, int, str, str], tuple[str, Headers]] = {}
        self._blobs: OrderedDict[str, bytes] = OrderedDict()
        self._blob_bytes = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = None
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD") and not scope.get(
                "query_string"):
            path: str = scope["path"]
            headers: Headers = scope["headers"]
            answer = self.warm_answer(path, headers) or await self._cold_answer(path, headers)
        if answer is None:
            await self.app(scope, receive, send)
            return
        status, response_headers, body = answer
        await send({"type": "http.response.start", "status": status,
                    "headers": response_headers})
        await send({"type": "http.response.body",
                    "body": body if scope["method"] == "GET" else b""})

    def warm_answer(self, path: str, headers: Headers) -> Answer | None:
        """The answer to a GET (or HEAD: without the body) of ``path`` without a query string
        with ``headers``, when it is ready without waiting: a rendered simple page, or a small
        file already in memory. None for anything else, which the caller sends on its way."""
        if path.startswith("/simple/") and path.endswith("/"):
            request = self._page_request(path[8:-1], headers)
            if request is None:
                return None
            page = self.reader.warm_page(request.project, request.fmt)
            return None if page is None else self._page_answer(page, request)
        if path.startswith("/packages/"):
            wanted = self._file_request(path, headers)
            if wanted is None:
                return None
            target = self.reader.warm_file(wanted.sha256_path, wanted.filename)
            data = self._blobs.get(target.sha256) if target is not None else None
            if target is None or data is None:
                return None
            self._blobs.move_to_end(target.sha256)
            return self._file_answer(target, data, wanted)
        return None

    async def _cold_answer(self, path: str, headers: Headers) -> Answer | None:
        """``warm_answer`` for what may have to be loaded first (off the event loop)."""
        if path.startswith("/simple/") and path.endswith("/"):
            return await self._simple(path[8:-1], headers)
        if path.startswith("/packages/"):
            return await self._file(path, headers)
        return None

    # -- request details --------------------------------------------------------------------

    @staticmethod
    def _headers(headers: Headers) -> tuple[bytes | None, bytes | None, bytes | None]:
        """The request's Accept, If-None-Match and Range headers, found in one pass."""
        accept = if_none_match = byte_range = None
        for key, value in headers:
            if key == b"accept":
                accept = bytes(value)
            elif key == b"if-none-match":
                if_none_match = bytes(value)
            elif key == b"range":
                byte_range = bytes(value)
        return accept, if_none_match, byte_range

    def _media_type(self, accept: bytes | None) -> str | None:
        try:
            return self._negotiated[accept]
        except KeyError:
            chosen = negotiate(None if accept is None else accept.decode("latin-1"))
            if accept is not None and len(accept) > _MEMO_KEY_BYTES:
                return chosen
            if len(self._negotiated) >= _MEMO_LIMIT:
                self._negotiated.clear()
            self._negotiated[accept] = chosen
            return chosen

    def _is_normal(self, name: str) -> bool:
        known = self._normal_names.get(name)
        if known is None:
            known = is_valid_project_name(name) and normalize(name) == name
            if len(name) > _MEMO_KEY_BYTES:
                return known
            if len(self._normal_names) >= _MEMO_LIMIT:
                self._normal_names.clear()
            self._normal_names[name] = known
        return known

    @staticmethod
    def _not_modified(if_none_match: bytes | None, etag: str, headers: Headers
                      ) -> Answer | None:
        if if_none_match is not None and etag_matches(if_none_match.decode("latin-1"), etag):
            return 304, [h for h in headers if h[0] != b"content-length"], b""
        return None

    # -- simple pages -------------------------------------------------------------------------

    def _page_request(self, name: str, headers: Headers) -> _PageRequest | None:
        """What a simple-page request asks for; None when only the framework can answer it
        (a name to redirect, nothing acceptable to offer)."""
        if name and not self._is_normal(name):
            return None
        accept, if_none_match, _ = self._headers(headers)
        media_type = self._media_type(accept)
        if media_type is None:
            return None
        fmt = "json" if is_json(media_type) else "html"
        return _PageRequest(name or ALL_PROJECTS, fmt, media_type, if_none_match)

    async def _simple(self, name: str, headers: Headers) -> Answer | None:
        request = self._page_request(name, headers)
        if request is None:
            return None
        if name:
            page = await self.reader.project_page(name, request.fmt)
        else:
            page = await self.reader.index_page(request.fmt)
        return None if page is None else self._page_answer(page, request)

    def _page_answer(self, page: Page, request: _PageRequest) -> Answer:
        etag, headers = self._headers_for(page, request.media_type, request.project)
        return (self._not_modified(request.if_none_match, etag, headers)
                or (200, headers, page.body))

    def _headers_for(self, page: Page, media_type: str, project: str) -> tuple[str, Headers]:
        memo_key = (page.etag, page.serial, media_type, project)
        memo = self._page_headers.get(memo_key)
        if memo is None:
            keys = project_keys(project) if project else "all-projects"
            etag, content_type, extra = simple_representation(page, media_type, keys)
            memo = etag, _encode(page_headers(page, etag, extra), content_type, len(page.body))
            if len(self._page_headers) >= _MEMO_LIMIT:
                self._page_headers.clear()
            self._page_headers[memo_key] = memo
        return memo

    # -- files ----------------------------------------------------------------------------------

    def _file_request(self, path: str, headers: Headers) -> _FileRequest | None:
        """The file a ``/packages/`` path names; None for a range request or a malformed path."""
        parts = path.split("/")
        _, if_none_match, byte_range = self._headers(headers)
        if len(parts) != 6 or byte_range is not None:
            return None
        _, _, a, b, rest, filename = parts
        if len(a) != 2 or len(b) != 2 or len(rest) != 60:
            return None
        return _FileRequest(a + b + rest, filename, if_none_match)

    async def _file(self, path: str, headers: Headers) -> Answer | None:
        wanted = self._file_request(path, headers)
        if wanted is None:
            return None
        target = self.reader.warm_file(wanted.sha256_path, wanted.filename)
        if target is not None and not _may_be_small(target):
            return None
        data = self._blobs.get(target.sha256) if target is not None else None
        if target is None or data is None:
            # A first download: locate and read in one trip off the event loop.
            found = await run_in_threadpool(self._locate_small, wanted.sha256_path,
                                            wanted.filename)
            if found is None:
                return None
            target, data = found
            self._remember(target.sha256, data)
        else:
            self._blobs.move_to_end(target.sha256)
        return self._file_answer(target, data, wanted)

    def _file_answer(self, target: BlobTarget, data: bytes, wanted: _FileRequest) -> Answer:
        headers = file_headers(target)
        headers["Content-Disposition"] = f'attachment; filename="{quote(wanted.filename)}"'
        headers["Accept-Ranges"] = "bytes"
        encoded = _encode(headers, file_media_type(wanted.filename), len(data))
        return (self._not_modified(wanted.if_none_match, headers["ETag"], encoded)
                or (200, encoded, data))

    def _locate_small(self, sha256_path: str, filename: str) -> tuple[BlobTarget, bytes] | None:
        """The file's location and bytes, when it is known, local and small."""
        target = self.reader.locate_file(sha256_path, filename)
        if target is None or target.local_path is None or not _may_be_small(target):
            return None
        data = _read_small(target.local_path)
        return None if data is None else (target, data)

    def _remember(self, sha256: str, data: bytes) -> None:
        """Keep a small file's bytes; content-addressed, so they never go stale."""
        if sha256 in self._blobs:
            return
        self._blobs[sha256] = data
        self._blob_bytes += len(data)
        while self._blob_bytes > _FILE_CACHE_BYTES:
            _, evicted = self._blobs.popitem(last=False)
            self._blob_bytes -= len(evicted)
