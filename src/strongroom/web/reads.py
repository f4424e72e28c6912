"""The read API: simple pages, PyPI's JSON API, project links, provenance objects (PEP 740's
Integrity API) and the files themselves.

``Reads`` is an ASGI layer that answers every read and hands anything else (uploads, unknown
paths) to the app it wraps. It works out what a read asks for, asks the index's read-access
policy whether the caller may have it, finds it (in memory when warm; in a worker thread on a
miss) and has ``answers.py`` build the answer. ``warm`` is the same work for what is ready
without waiting; the HTTP protocol's shortcut (web/server/protocol.py) sends what it returns, so
the shortcut, the warm ASGI path and a cold read send the same bytes.

Access is decided before any cached page or file is used: a page kept warm for one caller is
never sent to a caller the policy refuses, nor is a 304 about it. The default policy is public,
which costs a warm read one test of a flag.

Failed authentications are limited per client address (``failures``; README "Private
indexes"): credentials that do not verify, or may not read what they ask for, count against
the address, and past the limit every credentialed read from it is answered 429 until the
window frees; a read without credentials is answered 401 as always, and counts nothing. The
limit is asked only where the read waits anyway: before credentials not remembered are
verified (so that a guess from an address past the limit is never tried), and when
remembered credentials failed. Credentials remembered as verified read on without asking it,
for up to ``_VERIFIED_SECONDS`` after they were verified: that costs an attacker nothing, as
only credentials that do verify are remembered so.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import BinaryIO
from urllib.parse import parse_qsl, quote

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send

from strongroom.config import ConnectionLimits
from strongroom.domain.access import PUBLIC, ReadAccess, Refusal
from strongroom.domain.names import is_valid_project_name, normalize
from strongroom.domain.negotiation import is_json, negotiate, negotiate_integrity
from strongroom.domain.principals import Credentials, Principal
from strongroom.errors import Forbidden, NotAuthenticated, TooManyAttempts
from strongroom.index import ALL_PROJECTS, BlobTarget, IndexReader, Page
from strongroom.web import answers
from strongroom.web.answers import Answer, BlobBody, Headers
from strongroom.web.ratelimit import AddressFailures
from strongroom.web.upload import credentials_from

# Verifies a read's credentials for a project (None: the list of all projects).
Authenticate = Callable[[Credentials, str | None], Principal]

# How long a read's verified credentials are trusted before they are checked again: a revoked
# or expired token, or a disabled account, may go on reading a private index this long.
_VERIFIED_SECONDS = 30.0
_VERIFIED_KEY_BYTES = 8192  # longer Authorization values are verified every time

_MEMO_LIMIT = 4096  # distinct Accept headers / names remembered; real clients send a handful
# Longer values are worked out anew each time rather than remembered, so that what a client
# sends can never make a memo large: 4096 entries of at most 256 bytes each.
_MEMO_KEY_BYTES = 256
_SMALL_FILE = 1024 * 1024  # files up to this size are kept in memory once sent
_FILE_CACHE_BYTES = 64 * 1024 * 1024
_ANSWER_OVERHEAD = 1024  # what a kept file answer costs beyond its bytes, roughly
_CHUNK = 1024 * 1024
_READ_METHODS = ("GET", "HEAD")
# A signed-in browser's session (web/pages/visits.py names the cookie) reads a private index.
_SESSION_COOKIE = re.compile(rb"(?:^|;)\s*strongroom_session=([A-Za-z0-9_-]{43})(?:;|\s*$)")


class _Unresolved(Exception):
    """The caller's credentials must be verified, which may wait on the database: not here."""


def _session_cookie(headers: Headers) -> bytes | None:
    """The secret of a web session's cookie (pages/visits.py), if the request carries one."""
    for key, value in headers:
        if key == b"cookie":
            match = _SESSION_COOKIE.search(value)
            if match is not None:
                return match.group(1)
    return None


# What verifying one Authorization value (or session) for one project came to: the
# principal, or the error that refused it.
_Verdict = Principal | type[NotAuthenticated] | type[Forbidden]


class _Caller:
    """The reader of one request; its credentials are verified only if a policy asks, and the
    verdict is remembered for ``_VERIFIED_SECONDS`` (``Reads._verified``). ``address`` is the
    client's, known to a caller that may wait (in a worker thread); without it (the warm path)
    a verdict not remembered, or a failure to count, raises _Unresolved instead."""

    def __init__(self, reads: Reads, headers: Headers, project: str | None, *,
                 address: str | None) -> None:
        self._reads = reads
        self._headers = headers
        self._project = project
        self._address = address

    def principal(self) -> Principal | None:
        authorization = next((v for k, v in self._headers if k == b"authorization"), None)
        session = None
        if authorization is None:
            session = _session_cookie(self._headers)
            if session is None:
                return None
        verdict = self._reads.verdict(authorization or session or b"", self._project,
                                      address=self._address, session=session is not None)
        if isinstance(verdict, Principal):
            return verdict
        self._reads.count_failure(self._address)
        raise verdict("the credentials did not verify")


class _Request:
    """The headers of a read that change its answer, found in one pass."""

    def __init__(self, headers: Headers) -> None:
        self.accept: bytes | None = None
        self.if_none_match: bytes | None = None
        self.if_range: bytes | None = None
        self.byte_range: bytes | None = None
        for key, value in headers:
            if key == b"accept":
                self.accept = value
            elif key == b"if-none-match":
                self.if_none_match = value
            elif key == b"range":
                self.byte_range = value
            elif key == b"if-range":
                self.if_range = value

    def holds(self, etag: str) -> bool:
        """Whether the client's If-None-Match names ``etag``."""
        value = self.if_none_match
        return value is not None and answers.etag_matches(value.decode("latin-1"), etag)

    def range_for(self, etag: str) -> str | None:
        """The Range to honour: none when If-Range names another version of the file."""
        if self.byte_range is None or (self.if_range is not None
                                       and self.if_range.decode("latin-1").strip() != etag):
            return None
        return self.byte_range.decode("latin-1")


class Reads:
    """Answers the read API over ``reader``; hands every other request to ``app``.

    ``base_url`` starts every absolute URL in JSON API documents and project links: the
    configured one, never the request's Host, so that a client cannot put its own host into a
    document a cache keeps for everyone. ``access`` decides who may read what (default: all);
    ``authenticate`` turns a read's credentials into a principal when a policy asks;
    ``failures``, when given, limits the failures of that per client address.
    As the index's outer layer it also carries ``connection_limits``, which the HTTP protocol
    reads from the app it serves.
    """

    def __init__(self, app: ASGIApp, reader: IndexReader, *, base_url: str,
                 access: ReadAccess = PUBLIC, authenticate: Authenticate | None = None,
                 connection_limits: ConnectionLimits | None = None,
                 count_download: Callable[[str], None] | None = None,
                 failures: AddressFailures | None = None) -> None:
        self.app = app
        self.reader = reader
        self.base_url = base_url.rstrip("/")
        self.connection_limits = connection_limits or ConnectionLimits()
        self._access = access
        self._restricted = access is not PUBLIC
        self._authenticate = authenticate
        self._failures = failures
        self._count_download = count_download
        self._negotiated: dict[tuple[bytes | None, str | None], str | None] = {}
        self._normal_names: dict[str, bool] = {}
        self._pages: dict[tuple[str, int, str, str], tuple[Answer, Answer]] = {}
        self._files: OrderedDict[tuple[str, str], tuple[Answer, bytes]] = OrderedDict()
        self._file_bytes = 0
        self._verified: dict[tuple[bytes, str | None, bool], tuple[float, _Verdict]] = {}

    # -- ASGI ---------------------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        answer = None
        if scope["type"] == "http":
            method: str = scope["method"]
            path: str = scope["path"]
            headers: Headers = scope["headers"]
            query = scope.get("query_string") or b""
            if not query:
                answer = self.warm(method, path, headers)
            if answer is None:
                client = scope.get("client")
                answer = await self.answer(method, path, query.decode("latin-1"), headers,
                                           client[0] if client else "unknown")
        if answer is None:
            await self.app(scope, receive, send)
            return
        await send({"type": "http.response.start", "status": answer.status,
                    "headers": answer.headers})
        if scope["method"] == "HEAD":
            await send({"type": "http.response.body", "body": b""})
        elif answer.stream is not None:
            await _stream(answer.stream, receive, send)
        else:
            await send({"type": "http.response.body", "body": answer.body})

    # -- the two ways in --------------------------------------------------------------------

    def warm(self, method: str, path: str, headers: Headers) -> Answer | None:
        """The answer to a read of ``path`` without a query string, when it is ready without
        waiting: a rendered simple page or a small file already in memory (or a refusal of
        either). None for anything else, which the caller takes to ``answer``."""
        if method not in _READ_METHODS:
            return None
        try:
            if path.startswith("/simple/") and path.endswith("/"):
                return self._warm_page(path[8:-1], headers)
            if path.startswith("/packages/"):
                answer = self._warm_file(path, headers)
                if (answer is not None and answer.download is not None and method == "GET"
                        and self._count_download is not None):
                    self._count_download(answer.download)
                return answer
        except _Unresolved:  # credentials to verify first: ``answer`` does that
            return None
        return None

    def _counted(self, method: str, answer: Answer | None) -> Answer | None:
        """``answer``, a download counted when it is a distribution sent whole to a GET."""
        if (answer is not None and answer.download is not None and method == "GET"
                and self._count_download is not None):
            self._count_download(answer.download)
        return answer

    def _warm_page(self, name: str, headers: Headers) -> Answer | None:
        if "/" in name or (name and not self._is_normal(name)):
            return None  # a redirect, or a 404: ``answer`` says which
        project = name or ALL_PROJECTS
        refused = self._refused(project, headers)
        if refused is not None:
            return refused
        request = _Request(headers)
        media_type = self._media_type(request.accept, None)
        if media_type is None:
            return None
        page = self.reader.warm_page(project, "json" if is_json(media_type) else "html")
        return None if page is None else self._page(page, media_type, project, request)

    def _warm_file(self, path: str, headers: Headers) -> Answer | None:
        found = _file_path(path)
        target = None if found is None else self.reader.warm_file(*found)
        kept = None if target is None else self._files.get((target.sha256, target.filename))
        if target is None or kept is None:
            return None
        refused = self._refused(target.project, headers)
        if refused is not None:
            return refused
        self._files.move_to_end((target.sha256, target.filename))
        return self._kept_file(target, kept, _Request(headers))

    async def answer(self, method: str, path: str, query: str, headers: Headers, address: str
                     ) -> Answer | None:
        """The answer to any request for ``path`` the read API serves, from the client at
        ``address``; None for a path it does not, which the caller hands on."""
        parts = path.split("/")
        if len(parts) < 2 or parts[0]:
            return None
        route = _ROUTES.get((parts[1], len(parts)))
        if route is None:
            return None
        if method not in _READ_METHODS:
            return answers.METHOD_NOT_ALLOWED
        return self._counted(method, await route(self, parts, query, headers, address))

    # -- simple pages -------------------------------------------------------------------------

    async def _simple(self, parts: list[str], query: str, headers: Headers, address: str
                      ) -> Answer | None:
        # /simple, /simple/, /simple/<name> and /simple/<name>/
        if parts == ["", "simple", ""]:
            return await self._simple_page(ALL_PROJECTS, query, headers, address)
        if len(parts) == 4 and parts[3] != "":
            return None
        moved = _simple_moved(parts, query)
        if moved is not None:
            return moved
        return await self._simple_page(parts[2], query, headers, address)

    async def _simple_page(self, project: str, query: str, headers: Headers, address: str
                           ) -> Answer:
        refused = await self._checked(project, headers, address)
        if refused is not None:
            return refused
        request = _Request(headers)
        media_type = self._media_type(request.accept, _format(query))
        if media_type is None:
            return answers.NOT_ACCEPTABLE
        fmt = "json" if is_json(media_type) else "html"
        if project == ALL_PROJECTS:
            page: Page | None = await self.reader.index_page(fmt)
        else:
            page = await self.reader.project_page(project, fmt)
        if page is None:
            return answers.SIMPLE_NOT_FOUND
        return self._page(page, media_type, project, request)

    def _page(self, page: Page, media_type: str, project: str, request: _Request) -> Answer:
        memo_key = (page.etag, page.serial, media_type, project)
        memo = self._pages.get(memo_key)
        if memo is None:
            keys = "all-projects" if project == ALL_PROJECTS else answers.project_keys(project)
            full = answers.simple_page(page, media_type, keys, private=self._restricted)
            memo = full, answers.not_modified(full)
            if len(self._pages) >= _MEMO_LIMIT:
                self._pages.clear()
            self._pages[memo_key] = memo
        full, unchanged = memo
        return unchanged if request.holds(_etag(full)) else full

    # -- the JSON API and project links -----------------------------------------------------

    async def _json(self, parts: list[str], query: str, headers: Headers, address: str
                    ) -> Answer | None:
        # /pypi/<project>/json[/] and /pypi/<project>/<version>/json[/]
        tail = parts[3:]
        if tail in (["json"], ["json", ""]):
            version = None
        elif len(tail) >= 2 and tail[1] == "json" and tail[2:] in ([], [""]):
            version = tail[0]
        else:
            return None
        if version == "" or not parts[2]:
            return None
        if not is_valid_project_name(parts[2]):
            return answers.JSON_NOT_FOUND
        project = normalize(parts[2])
        refused = await self._checked(project, headers, address, json=True)
        if refused is not None:
            return refused
        if version is None:
            page = await self.reader.project_document(project, self.base_url)
        else:
            page = await self.reader.release_document(project, version, self.base_url)
        if page is None:
            return answers.JSON_NOT_FOUND
        full = answers.json_document(page, project, private=self._restricted)
        return answers.not_modified(full) if _Request(headers).holds(page.etag) else full

    async def _link(self, parts: list[str], query: str, headers: Headers, address: str
                    ) -> Answer | None:
        """``/project/<name>/`` and ``/project/<name>/<version>/``, which JSON API documents
        give as ``project_url`` and ``release_url`` (PyPI's addresses of the project's and the
        release's pages). Until there is a web UI, a 302 to the project's simple page and the
        release's JSON document, under the configured base URL; whether they exist (and
        whether the caller may see them) is for the target to say."""
        tail = parts[3:]
        if tail in ([], [""]):
            version = None
        elif len(tail) in (1, 2) and tail[0] and tail[1:] in ([], [""]):
            version = tail[0]
        else:
            return None
        if not parts[2]:
            return None
        if not is_valid_project_name(parts[2]):
            return answers.SIMPLE_NOT_FOUND
        name = normalize(parts[2])
        target = (f"/simple/{name}/" if version is None
                  else f"/pypi/{name}/{quote(version, safe='')}/json")
        return answers.redirect(self.base_url + target, 302,
                                cache_control=answers.PROJECT_LINK_CACHE_CONTROL)

    # -- provenance -----------------------------------------------------------------------------

    async def _integrity(self, parts: list[str], query: str, headers: Headers, address: str
                         ) -> Answer | None:
        # /integrity/<project>/<version>/<filename>/provenance
        name, version, filename, leaf = parts[2:]
        if leaf != "provenance" or not (name and version and filename):
            return None
        if not is_valid_project_name(name):
            return answers.no_provenance(filename)
        project = normalize(name)
        refused = await self._checked(project, headers, address, json=True)
        if refused is not None:
            return refused
        request = _Request(headers)
        media_type = negotiate_integrity(
            None if request.accept is None else request.accept.decode("latin-1"))
        if media_type is None:
            return answers.INTEGRITY_NOT_ACCEPTABLE
        page = await self.reader.provenance(project, version, filename)
        if page is None:
            return answers.no_provenance(filename)
        full = answers.provenance(page, media_type, project, private=self._restricted)
        return answers.not_modified(full) if request.holds(_etag(full)) else full

    # -- files ----------------------------------------------------------------------------------

    async def _file(self, parts: list[str], query: str, headers: Headers, address: str
                    ) -> Answer | None:
        found = _file_path("/".join(parts))
        if found is None:
            return answers.NOT_FOUND if all(parts[2:]) else None
        target = await self.reader.file(*found)
        if target is None:
            return answers.NOT_FOUND
        refused = await self._checked(target.project, headers, address)
        if refused is not None:
            return refused
        request = _Request(headers)
        kept = self._files.get((target.sha256, target.filename))
        if kept is not None:
            return self._kept_file(target, kept, request)
        if request.holds(f'"{target.sha256}"'):
            return answers.not_modified(answers.file_answer(target, None, b"", None,
                                                           private=self._restricted))
        return await run_in_threadpool(self._load_file, target, request)

    def _load_file(self, target: BlobTarget, request: _Request) -> Answer:
        """A file's answer, reading a small local file into memory (and keeping it) on the way;
        called off the event loop."""
        local = target.local_path
        size = target.size
        if local is not None:
            if size is None:  # a metadata file: sizes are stored for distributions only
                size = local.stat().st_size
            if size <= _SMALL_FILE:
                data = local.read_bytes()
                kept = self._keep(target, data)
                return self._kept_file(target, kept, request)
        byte_range = answers.parse_range(request.range_for(f'"{target.sha256}"'), size)
        body = BlobBody(_opener(local) if local is not None else self._remote(target.sha256),
                        0, size)
        return answers.file_answer(target, size, body, byte_range, private=self._restricted)

    def _remote(self, sha256: str) -> Callable[[], BinaryIO]:
        return lambda: self.reader.open_blob(sha256)

    def _kept_file(self, target: BlobTarget, kept: tuple[Answer, bytes], request: _Request
                   ) -> Answer:
        """The answer about a file whose bytes are in memory, access allowed: its 200 (made
        once), a 304, or a part of it."""
        full, data = kept
        if request.holds(_etag(full)):
            return answers.not_modified(full)
        if request.byte_range is None:
            return full
        byte_range = answers.parse_range(request.range_for(_etag(full)), len(data))
        return answers.file_answer(target, len(data), data, byte_range,
                                   private=self._restricted)

    def _keep(self, target: BlobTarget, data: bytes) -> tuple[Answer, bytes]:
        """Keep a small file's 200 with its bytes; content-addressed, so they never go stale.
        The memory it may use is bounded in bytes, least recently sent out first."""
        key = (target.sha256, target.filename)
        kept = self._files.get(key)
        if kept is not None:
            return kept
        kept = answers.file_answer(target, len(data), data, None,
                                   private=self._restricted), data
        self._files[key] = kept
        self._file_bytes += len(data) + _ANSWER_OVERHEAD
        while self._file_bytes > _FILE_CACHE_BYTES:
            _, (_, evicted) = self._files.popitem(last=False)
            self._file_bytes -= len(evicted) + _ANSWER_OVERHEAD
        return kept

    # -- access and negotiation -------------------------------------------------------------

    @property
    def restricted(self) -> bool:
        """Whether the read-access policy is other than public (answers are then private)."""
        return self._restricted

    async def index_refusal(self, headers: Headers, address: str) -> Answer | None:
        """The answer refusing the caller at ``address`` what ``/simple/`` needs (reading
        the whole index), if the policy refuses it: for the APIs outside this layer that read
        across projects (web/osv.py), with the same credentials and limits as a read."""
        return await self._checked(ALL_PROJECTS, headers, address, json=True)

    def _refused(self, project: str, headers: Headers, *, json: bool = False,
                 address: str | None = None) -> Answer | None:
        """The answer refusing a read of ``project`` (``ALL_PROJECTS``: the list), if the
        policy refuses it. Without the client's ``address`` (which a caller that may wait
        gives), raises _Unresolved when deciding needs credentials verified that are not
        remembered, or a failure counted (``_checked`` then does that)."""
        if not self._restricted:  # a public index asks no one
            return None
        named = None if project == ALL_PROJECTS else project
        try:
            refusal = self._access.refusal(named, _Caller(self, headers, named,
                                                          address=address))
        except NotAuthenticated:
            refusal = Refusal.UNAUTHENTICATED
        except Forbidden:
            refusal = Refusal.FORBIDDEN
        except TooManyAttempts as exc:
            return answers.too_many_failures(exc.retry_after)
        return None if refusal is None else answers.refused(refusal, json=json)

    async def _checked(self, project: str, headers: Headers, address: str, *,
                       json: bool = False) -> Answer | None:
        """``_refused`` for a caller at ``address`` that may wait: credentials not yet verified
        are verified, and failures counted, off the event loop."""
        if not self._restricted:
            return None
        try:
            return self._refused(project, headers, json=json)
        except _Unresolved:
            return await run_in_threadpool(self._refused, project, headers, json=json,
                                           address=address)

    def verdict(self, authorization: bytes, project: str | None, *, address: str | None,
                session: bool = False) -> _Verdict:
        """What ``authorization`` (with ``session``: a web session's secret) comes to for
        reading ``project``: remembered for ``_VERIFIED_SECONDS``, else worked out for the
        client at ``address`` (None: raises _Unresolved instead). Raises TooManyAttempts,
        verifying nothing, when that address is past its limit of failures."""
        key = (authorization, project, session)
        now = time.monotonic()
        remembered = self._verified.get(key)
        if remembered is not None and remembered[0] > now:
            return remembered[1]
        if address is None:
            raise _Unresolved
        if self._failures is not None:
            wait = self._failures.retry_after(address)
            if wait is not None:
                raise TooManyAttempts(wait)
        verdict: _Verdict
        if self._authenticate is None:
            verdict = NotAuthenticated
        else:
            try:
                credentials = (Credentials(session=authorization.decode("ascii")) if session
                               else credentials_from(authorization.decode("latin-1")))
                verdict = self._authenticate(credentials, project)
            except NotAuthenticated:
                verdict = NotAuthenticated
            except Forbidden:
                verdict = Forbidden
        if len(authorization) <= _VERIFIED_KEY_BYTES:
            if len(self._verified) >= _MEMO_LIMIT:
                self._verified.clear()
            self._verified[key] = (now + _VERIFIED_SECONDS, verdict)
        return verdict

    def count_failure(self, address: str | None) -> None:
        """Count credentials that failed (a verdict remembered or just worked out) against
        ``address`` (None: raises _Unresolved, for the caller that may wait to count them).
        Raises TooManyAttempts when the address was past its limit already."""
        if self._failures is None:
            return
        if address is None:
            raise _Unresolved
        wait = self._failures.failed(address)
        if wait is not None:
            raise TooManyAttempts(wait)

    def _media_type(self, accept: bytes | None, fmt: str | None) -> str | None:
        key = (accept, fmt)
        try:
            return self._negotiated[key]
        except KeyError:
            chosen = negotiate(None if accept is None else accept.decode("latin-1"), fmt)
            if (accept is not None and len(accept) > _MEMO_KEY_BYTES) or (
                    fmt is not None and len(fmt) > _MEMO_KEY_BYTES):
                return chosen
            if len(self._negotiated) >= _MEMO_LIMIT:
                self._negotiated.clear()
            self._negotiated[key] = chosen
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


_Handler = Callable[[Reads, list[str], str, Headers, str], Awaitable[Answer | None]]
# (first path segment, number of "/"-separated parts) -> handler
_ROUTES: dict[tuple[str, int], _Handler] = {
    **{("simple", n): Reads._simple for n in (2, 3, 4)},
    **{("pypi", n): Reads._json for n in (4, 5, 6)},
    **{("project", n): Reads._link for n in (3, 4, 5)},
    ("packages", 6): Reads._file,
    ("integrity", 6): Reads._integrity,
}


def _etag(answer: Answer) -> str:
    return next(v for k, v in answer.headers if k == b"etag").decode("latin-1")


def _format(query: str) -> str | None:
    """The ``format`` query parameter (the last one given), if any."""
    found = None
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key == "format":
            found = value
    return found


def _simple_moved(parts: list[str], query: str) -> Answer | None:
    """The 301 (or 404) of a simple-page address that is not the page's own: without its
    slash, or with a name not in normal form; None for a page's own address."""
    if len(parts) == 2:
        return _redirect("/simple/", query)
    name = parts[2]
    if not is_valid_project_name(name):
        return answers.SIMPLE_NOT_FOUND
    if len(parts) == 3 or name != normalize(name):
        return _redirect(f"/simple/{normalize(name)}/", query)
    return None


def _redirect(path: str, query: str) -> Answer:
    return answers.redirect(f"{path}?{query}" if query else path, 301)


def _file_path(path: str) -> tuple[str, str] | None:
    """The (SHA-256 path, file name) a ``/packages/<a>/<b>/<rest>/<name>`` path names; None
    when it is not that shape."""
    parts = path.split("/")
    if len(parts) != 6:
        return None
    _, _, a, b, rest, filename = parts
    if len(a) != 2 or len(b) != 2 or len(rest) != 60 or not filename:
        return None
    return a + b + rest, filename


def _opener(path: Path) -> Callable[[], BinaryIO]:
    return lambda: path.open("rb")


async def _stream(body: BlobBody, receive: Receive, send: Send) -> None:
    """Send a blob's bytes as they are read, off the event loop; stop if the client leaves."""
    gone = asyncio.ensure_future(_disconnect(receive))
    source = await run_in_threadpool(body.open)
    try:
        if body.start:
            await run_in_threadpool(_skip, source, body.start)
        remaining = body.length
        while (remaining is None or remaining > 0) and not gone.done():
            wanted = _CHUNK if remaining is None else min(_CHUNK, remaining)
            chunk = await run_in_threadpool(source.read, wanted)
            if not chunk:
                break
            if remaining is not None:
                remaining -= len(chunk)
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b"", "more_body": False})
    finally:
        gone.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await gone
        await run_in_threadpool(source.close)


async def _disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


def _skip(source: BinaryIO, count: int) -> None:
    """Move ``source`` past its first ``count`` bytes (reading them, when it cannot seek)."""
    if source.seekable():
        source.seek(count)
        return
    while count > 0:
        chunk = source.read(min(_CHUNK, count))
        if not chunk:
            return
        count -= len(chunk)
