"""The OSV API under ``/osv/v1/``, so that ``pip-audit -s osv --osv-url <index>/osv/v1/query``
and other OSV clients ask this index instead of osv.dev:

- ``POST /osv/v1/query``: one query (``domain/osvapi.py``), answered with the whole records
  that match, as stored, up to 1,000 per page;
- ``POST /osv/v1/querybatch``: up to 1,000 queries, answered in order with each match's id and
  ``modified``, all read in one transaction with one query per distinct package name;
- ``GET /osv/v1/vulns/<id>``: one record as stored (withdrawn ones too, as osv.dev serves
  them), or 404.

``OsvApi`` is an ASGI layer around ``Reads``: a request outside ``/osv/`` costs it one prefix
test. Reading the OSV API is reading the index, so it asks the index's read-access policy the
same question as ``/simple/`` (``Reads.index_refusal``) before it looks at the body. A body
that is too long, not JSON or not a query gets osv.dev's 400 (``{"code": 3, "message"}``),
naming the field; the database is read in a worker thread, with prepared statements
(``strongroom.vulns``' queries), one read transaction per request.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.types import Receive, Scope, Send

from strongroom.db.engine import Database
from strongroom.domain import osvapi
from strongroom.domain.advisories import Advisory
from strongroom.domain.osvapi import INVALID_ARGUMENT, NOT_FOUND, BadQuery, Query
from strongroom.vulns import advisories_for, record_by_id, records_for
from strongroom.web.answers import Answer, cache_control
from strongroom.web.reads import Reads

PREFIX = "/osv/"
QUERY_PATH = "/osv/v1/query"
BATCH_PATH = "/osv/v1/querybatch"
VULNS_PREFIX = "/osv/v1/vulns/"
# 1,000 queries of a few hundred bytes each fit several times over.
MAX_BODY = 1024 * 1024
RECORD_CACHE_CONTROL = "max-age=300, public"
_JSON = (b"content-type", b"application/json")


def _answer(status: int, body: bytes, *extra: tuple[bytes, bytes]) -> Answer:
    return Answer(status, [_JSON, (b"content-length", str(len(body)).encode()), *extra], body)


def _error(status: int, code: int, message: str, *extra: tuple[bytes, bytes]) -> Answer:
    return _answer(status, osvapi.error_body(code, message), *extra)


_NOT_FOUND = _error(404, NOT_FOUND, "Not found.")
_BUG_NOT_FOUND = _error(404, NOT_FOUND, "Bug not found.")
_TOO_LARGE = _error(413, INVALID_ARGUMENT, f"The request body is longer than {MAX_BODY} bytes.")
_POST_ONLY = _error(405, INVALID_ARGUMENT, "Use POST.", (b"allow", b"POST"))
_GET_ONLY = _error(405, INVALID_ARGUMENT, "Use GET.", (b"allow", b"GET, HEAD"))


class _TooLarge(Exception):
    pass


class OsvApi:
    """Answers ``/osv/`` over ``db``; hands every other request to ``reads``."""

    def __init__(self, reads: Reads, db: Database) -> None:
        self.app = reads  # followed by the HTTP protocol to find the warm reads
        self.db = db
        self._private = reads.restricted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(PREFIX):
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        answer = await self.app.index_refusal(scope["headers"],
                                              client[0] if client else "unknown")
        if answer is None:
            answer = await self._route(scope, receive)
        await send({"type": "http.response.start", "status": answer.status,
                    "headers": answer.headers})
        await send({"type": "http.response.body",
                    "body": b"" if scope["method"] == "HEAD" else answer.body})

    async def _route(self, scope: Scope, receive: Receive) -> Answer:
        path: str = scope["path"]
        method: str = scope["method"]
        record_id = path[len(VULNS_PREFIX):] if path.startswith(VULNS_PREFIX) else ""
        if record_id and "/" not in record_id:
            return await self._get_record(method, record_id)
        if path not in (QUERY_PATH, BATCH_PATH):
            return _NOT_FOUND
        if method != "POST":
            return _POST_ONLY
        try:
            return await self._post(path, await _read_body(scope, receive))
        except _TooLarge:
            return _TOO_LARGE
        except BadQuery as error:
            return _error(400, INVALID_ARGUMENT, f"Invalid query: {error.message}")

    async def _get_record(self, method: str, record_id: str) -> Answer:
        if method not in ("GET", "HEAD"):
            return _GET_ONLY
        return await run_in_threadpool(self._record, record_id)

    async def _post(self, path: str, body: bytes) -> Answer:
        """The answer to a query or a batch; raises BadQuery for a body that is neither."""
        try:
            document = json.loads(body)
        except (ValueError, RecursionError):  # UnicodeDecodeError is a ValueError
            raise BadQuery("", "the body is not JSON") from None
        if path == QUERY_PATH:
            return await run_in_threadpool(self._query, osvapi.parse_query(document))
        return await run_in_threadpool(self._batch, osvapi.parse_batch(document))

    def _query(self, query: Query) -> Answer:
        if query.name is None:
            return _answer(200, b"{}")
        name, version = query.name, query.version
        with self.db.read_connection() as connection:
            found = records_for(connection, name)
        matches = [record for advisory, record in found
                   if version is None or advisory.affects(name, version)]
        page, token = osvapi.page_of(query, matches)
        return _answer(200, osvapi.query_answer(page, token))

    def _batch(self, queries: Sequence[Query]) -> Answer:
        names = {query.name for query in queries if query.name is not None}
        advisories: dict[str, list[Advisory]] = {}
        if names:
            with self.db.read_connection() as connection:
                advisories = {name: advisories_for(connection, name) for name in sorted(names)}
        results: list[dict[str, Any]] = []
        for query in queries:
            name, version = query.name, query.version
            if name is None:
                results.append({})
                continue
            matches = [(a.id, a.modified) for a in advisories[name]
                       if version is None or a.affects(name, version)]
            page, token = osvapi.page_of(query, matches)
            results.append(osvapi.batch_result(page, token))
        return _answer(200, osvapi.batch_answer(results))

    def _record(self, record_id: str) -> Answer:
        with self.db.read_connection() as connection:
            record = record_by_id(connection, record_id)
        if record is None:
            return _BUG_NOT_FOUND
        control = cache_control(RECORD_CACHE_CONTROL, private=self._private)
        return _answer(200, record.encode(), (b"cache-control", control.encode()))


async def _read_body(scope: Scope, receive: Receive) -> bytes:
    """The request's body; raises _TooLarge past MAX_BODY bytes (declared or sent)."""
    for key, value in scope["headers"]:
        if key == b"content-length" and value.isdigit() and int(value) > MAX_BODY:
            raise _TooLarge
    body = bytearray()
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        body += message.get("body", b"")
        if len(body) > MAX_BODY:
            raise _TooLarge
        if not message.get("more_body", False):
            break
    return bytes(body)
