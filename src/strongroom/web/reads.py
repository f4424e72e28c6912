"""The read routes: the simple API, PyPI's JSON API and the files themselves.

Handlers stay on the event loop: a warm page is a dictionary lookup in ``IndexReader``, which
only goes to the database (in a worker thread) on a miss. Pages carry a strong ETag and answer
``If-None-Match`` with 304; every simple page varies on ``Accept``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import BinaryIO
from urllib.parse import quote

from starlette.concurrency import iterate_in_threadpool
from starlette.requests import Request
from starlette.responses import (
    FileResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
    StreamingResponse,
)
from starlette.routing import BaseRoute, Route

from strongroom.domain.names import is_valid_project_name, normalize
from strongroom.domain.negotiation import OFFERS, TEXT_HTML, V1_HTML, is_json, negotiate
from strongroom.index import BlobTarget, IndexReader, Page

SIMPLE_CACHE_CONTROL = "max-age=600, public"
JSON_API_CACHE_CONTROL = "max-age=900, public"
FILE_CACHE_CONTROL = "max-age=31536000, public, immutable"
# Short: the web UI will answer these addresses itself, and caches should notice soon.
PROJECT_LINK_CACHE_CONTROL = "max-age=300, public"
_CHUNK = 1024 * 1024
_NOT_ACCEPTABLE = (
    "Not Acceptable: this index serves " + ", ".join(OFFERS) + " (ask with Accept or ?format=)."
)


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header value names ``etag`` (or ``*``)."""
    if if_none_match is None:
        return False
    candidates = {tag.strip() for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


def _etag_matches(request: Request, etag: str) -> bool:
    return etag_matches(request.headers.get("if-none-match"), etag)


def page_headers(page: Page, etag: str, headers: dict[str, str]) -> dict[str, str]:
    """Headers every cached page carries besides its own."""
    return {**headers, "ETag": etag, "X-PyPI-Last-Serial": str(page.serial),
            "Access-Control-Allow-Origin": "*"}


def _respond(request: Request, page: Page, media_type: str, etag: str,
             headers: dict[str, str]) -> Response:
    """200 with the page, 304 when the client holds ``etag``; HEAD gets headers only."""
    headers = page_headers(page, etag, headers)
    if _etag_matches(request, etag):
        return Response(status_code=304, headers=headers)
    if request.method == "HEAD":
        headers["Content-Length"] = str(len(page.body))
        return Response(b"", headers=headers, media_type=media_type)
    return Response(page.body, headers=headers, media_type=media_type)


def simple_representation(page: Page, media_type: str, keys: str
                          ) -> tuple[str, str, dict[str, str]]:
    """The ETag, Content-Type and headers of a simple page sent as ``media_type``."""
    # text/html and v1+html share bytes but are distinct representations, so distinct ETags.
    etag = page.etag[:-1] + '-h"' if media_type == V1_HTML else page.etag
    content_type = f"{TEXT_HTML}; charset=utf-8" if media_type == TEXT_HTML else media_type
    headers = {"Vary": "Accept", "Cache-Control": SIMPLE_CACHE_CONTROL, "Surrogate-Key": keys}
    return etag, content_type, headers


def project_keys(project: str) -> str:
    """Surrogate keys of a project's simple page."""
    return f"project/{project} all-projects"


def _simple_response(request: Request, page: Page, media_type: str, keys: str) -> Response:
    etag, content_type, headers = simple_representation(page, media_type, keys)
    return _respond(request, page, content_type, etag, headers)


def _negotiated(request: Request) -> str | None:
    return negotiate(request.headers.get("accept"), request.query_params.get("format"))


def _not_acceptable() -> Response:
    return PlainTextResponse(_NOT_ACCEPTABLE, status_code=406, headers={"Vary": "Accept"})


def _not_found() -> Response:
    return PlainTextResponse("404 Not Found", status_code=404, headers={"Vary": "Accept"})


def _redirect(request: Request, path: str) -> Response:
    query = request.url.query
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=301)


def _blob_chunks(source: BinaryIO) -> Iterator[bytes]:
    with source:
        while chunk := source.read(_CHUNK):
            yield chunk


def file_headers(target: BlobTarget) -> dict[str, str]:
    """Headers every file response carries; the ETag is the content's SHA-256."""
    return {"ETag": f'"{target.sha256}"', "Cache-Control": FILE_CACHE_CONTROL,
            "X-Content-Type-Options": "nosniff", "Access-Control-Allow-Origin": "*"}


def file_media_type(filename: str) -> str:
    if filename.endswith((".whl", ".zip")):
        return "application/zip"
    if filename.endswith(".tar.gz"):
        return "application/gzip"
    return "application/octet-stream"


class _ReadViews:
    """The handlers, bound to one reader and the index's public base URL."""

    def __init__(self, reader: IndexReader, base_url: str) -> None:
        self.reader = reader
        self.base_url = base_url.rstrip("/")

    async def index(self, request: Request) -> Response:
        media_type = _negotiated(request)
        if media_type is None:
            return _not_acceptable()
        page = await self.reader.index_page("json" if is_json(media_type) else "html")
        return _simple_response(request, page, media_type, "all-projects")

    async def project(self, request: Request) -> Response:
        name = request.path_params["project"]
        if not is_valid_project_name(name):
            return _not_found()
        normalized = normalize(name)
        if name != normalized:
            return _redirect(request, f"/simple/{normalized}/")
        media_type = _negotiated(request)
        if media_type is None:
            return _not_acceptable()
        page = await self.reader.project_page(normalized, "json" if is_json(media_type) else "html")
        if page is None:
            return _not_found()
        return _simple_response(request, page, media_type, project_keys(normalized))

    async def index_slash(self, request: Request) -> Response:
        return _redirect(request, "/simple/")

    async def project_slash(self, request: Request) -> Response:
        name = request.path_params["project"]
        if not is_valid_project_name(name):
            return _not_found()
        return _redirect(request, f"/simple/{normalize(name)}/")

    async def project_json(self, request: Request) -> Response:
        if not is_valid_project_name(request.path_params["project"]):
            return JSONResponse({"message": "Not Found"}, status_code=404)
        normalized = normalize(request.path_params["project"])
        version = request.path_params.get("version")
        base = self.base_url
        if version is None:
            page = await self.reader.project_document(normalized, base)
        else:
            page = await self.reader.release_document(normalized, version, base)
        if page is None:
            return JSONResponse({"message": "Not Found"}, status_code=404)
        headers = {"Cache-Control": JSON_API_CACHE_CONTROL,
                   "Surrogate-Key": f"project/{normalized} all-legacy-json"}
        return _respond(request, page, "application/json", page.etag, headers)

    async def project_link(self, request: Request) -> Response:
        """``/project/<name>/`` and ``/project/<name>/<version>/``, which JSON API documents
        give as ``project_url`` and ``release_url`` (PyPI's addresses of the project's and the
        release's pages). Until there is a web UI, a 302 to the project's simple page and the
        release's JSON document, under the configured base URL; whether they exist is for the
        target to say."""
        name = request.path_params["project"]
        if not is_valid_project_name(name):
            return _not_found()
        version = request.path_params.get("version")
        target = (f"/simple/{normalize(name)}/" if version is None
                  else f"/pypi/{normalize(name)}/{quote(version, safe='')}/json")
        return RedirectResponse(self.base_url + target, status_code=302,
                                headers={"Cache-Control": PROJECT_LINK_CACHE_CONTROL})

    async def package(self, request: Request) -> Response:
        params = request.path_params
        a, b, rest, filename = params["a"], params["b"], params["rest"], params["filename"]
        target = None
        if len(a) == 2 and len(b) == 2 and len(rest) == 60:
            target = await self.reader.file(a + b + rest, filename)
        if target is None:
            return PlainTextResponse("404 Not Found", status_code=404)
        return self._send_file(request, target)

    def _send_file(self, request: Request, target: BlobTarget) -> Response:
        headers = file_headers(target)
        if _etag_matches(request, headers["ETag"]):
            return Response(status_code=304, headers=headers)
        media_type = file_media_type(target.filename)
        if target.local_path is not None:
            return FileResponse(target.local_path, headers=headers, media_type=media_type,
                                filename=target.filename)
        if target.size is not None:
            headers["Content-Length"] = str(target.size)
        if request.method == "HEAD":
            return Response(b"", headers=headers, media_type=media_type)
        chunks = iterate_in_threadpool(_blob_chunks(self.reader.open_blob(target.sha256)))
        return StreamingResponse(chunks, headers=headers, media_type=media_type)


def read_routes(reader: IndexReader, *, base_url: str) -> list[BaseRoute]:
    """The read API's routes. ``base_url`` (scheme, host and any path prefix) starts every
    absolute URL in JSON API documents; it is the configured one, never the request's Host,
    so that a client cannot put its own host into a document a cache keeps for everyone."""
    views = _ReadViews(reader, base_url)
    get = ["GET", "HEAD"]
    return [
        Route("/simple", views.index_slash, methods=get),
        Route("/simple/", views.index, methods=get),
        Route("/simple/{project}", views.project_slash, methods=get),
        Route("/simple/{project}/", views.project, methods=get),
        Route("/packages/{a}/{b}/{rest}/{filename}", views.package, methods=get),
        Route("/pypi/{project}/json", views.project_json, methods=get),
        Route("/pypi/{project}/json/", views.project_json, methods=get),
        Route("/pypi/{project}/{version}/json", views.project_json, methods=get),
        Route("/pypi/{project}/{version}/json/", views.project_json, methods=get),
        Route("/project/{project}", views.project_link, methods=get),
        Route("/project/{project}/", views.project_link, methods=get),
        Route("/project/{project}/{version}", views.project_link, methods=get),
        Route("/project/{project}/{version}/", views.project_link, methods=get),
    ]
