"""Every read's answer, status + headers + body, built here and only here.

``web/reads.py`` works out what a read asks for and finds it; the functions below turn what it
found into the exact answer. Whoever sends it (the ASGI app, or the HTTP protocol's shortcut for
warm reads) sends these bytes unchanged, so a page or file looks the same however it was
reached. A HEAD gets the GET's status and headers without the body.

Rules that hold for every answer:
- a 304 carries the 200's headers except the representation's own (Content-Type,
  Content-Length, Content-Disposition), as RFC 9110 15.4.5 asks;
- a file's Last-Modified is its upload time (a metadata file: its distribution's), the same on
  every worker and storage backend, unlike a blob's mtime;
- Content-Length is always given, except for a remote blob of unknown size.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import format_datetime
from typing import BinaryIO
from urllib.parse import quote

from strongroom.domain.access import Refusal
from strongroom.domain.negotiation import INTEGRITY_V1_JSON, OFFERS, TEXT_HTML, V1_HTML
from strongroom.index import BlobTarget, Page

Headers = list[tuple[bytes, bytes]]

SIMPLE_CACHE_CONTROL = "max-age=600, public"
PROVENANCE_CACHE_CONTROL = "max-age=600, public"  # PyPI's 10 minutes: provenance may grow
JSON_API_CACHE_CONTROL = "max-age=900, public"
FILE_CACHE_CONTROL = "max-age=31536000, public, immutable"
# Short: the web UI will answer these addresses itself, and caches should notice soon.
PROJECT_LINK_CACHE_CONTROL = "max-age=300, public"
_NOT_ACCEPTABLE = (
    "Not Acceptable: this index serves " + ", ".join(OFFERS) + " (ask with Accept or ?format=)."
)
_REFUSED = {
    Refusal.UNAUTHENTICATED: (401, "401 Unauthorized: this index needs credentials "
                                   "(username __token__ and an API token as password)."),
    Refusal.FORBIDDEN: (403, "403 Forbidden: these credentials may not read this project."),
}
# The characters a Location keeps unquoted (as Starlette's RedirectResponse does).
_LOCATION_SAFE = ":/%#?=@[]!$&'()*+,;"
_NOT_IN_304 = frozenset({b"content-type", b"content-length", b"content-disposition"})


@dataclass(frozen=True)
class BlobBody:
    """A body read from a blob when it is sent: ``length`` bytes from ``start`` (None: to the
    end, for a remote blob of unknown size)."""

    open: Callable[[], BinaryIO]
    start: int
    length: int | None


@dataclass(frozen=True)
class Answer:
    """What one read is answered with. ``body`` is sent to a GET; a HEAD gets no body.
    ``stream``, when set, replaces ``body`` with a blob read as it is sent."""

    status: int
    headers: Headers
    body: bytes = b""
    stream: BlobBody | None = None
    # The project a 200 sends a distribution of: a GET of it counts as a download.
    download: str | None = None


def _encode(headers: dict[str, str]) -> Headers:
    return [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]


def _with_body(status: int, headers: dict[str, str], content_type: str, body: bytes) -> Answer:
    encoded = _encode(headers)
    encoded.append((b"content-type", content_type.encode("latin-1")))
    encoded.append((b"content-length", str(len(body)).encode()))
    return Answer(status, encoded, body)


def not_modified(answer: Answer) -> Answer:
    """The 304 that stands for ``answer`` (a 200) when the client holds its ETag."""
    return Answer(304, [h for h in answer.headers if h[0] not in _NOT_IN_304])


def etag_matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an ``If-None-Match`` header value names ``etag`` (or ``*``)."""
    if if_none_match is None:
        return False
    candidates = {tag.strip() for tag in if_none_match.split(",")}
    return "*" in candidates or etag in candidates


# -- answers that are not pages ---------------------------------------------------------------

def text(status: int, message: str, *, vary: bool = False) -> Answer:
    """A plain-text answer (404s, 405s); simple pages' 404s vary on Accept as their 200s do."""
    headers = {"Vary": "Accept"} if vary else {}
    return _with_body(status, headers, "text/plain; charset=utf-8", message.encode())


NOT_FOUND = text(404, "404 Not Found")
SIMPLE_NOT_FOUND = text(404, "404 Not Found", vary=True)
NOT_ACCEPTABLE = text(406, _NOT_ACCEPTABLE, vary=True)
JSON_NOT_FOUND = _with_body(404, {}, "application/json", b'{"message":"Not Found"}')
INTEGRITY_NOT_ACCEPTABLE = _with_body(406, {"Vary": "Accept"}, "application/json",
                                     b'{"message":"Request not acceptable"}')
METHOD_NOT_ALLOWED = _with_body(405, {"Allow": "GET, HEAD"}, "text/plain; charset=utf-8",
                                b"Method Not Allowed")


def _refusal(refusal: Refusal) -> Answer:
    status, message = _REFUSED[refusal]
    headers = {"WWW-Authenticate": 'Basic realm="strongroom"'} if status == 401 else {}
    return _with_body(status, headers, "text/plain; charset=utf-8", message.encode())


# A hidden project is answered as an unknown one, so a refusal never tells that it exists.
_REFUSALS = {**{(refusal, json): _refusal(refusal) for refusal in _REFUSED
                for json in (False, True)},
             (Refusal.HIDDEN, False): NOT_FOUND, (Refusal.HIDDEN, True): JSON_NOT_FOUND}


def refused(refusal: Refusal, *, json: bool = False) -> Answer:
    """The answer to a read the index's read-access policy refuses (made once, at import)."""
    return _REFUSALS[refusal, json]


def too_many_failures(retry_after: int) -> Answer:
    """The 429 of a credentialed read from an address past its limit of failed
    authentications, ``retry_after`` seconds before it may read again."""
    message = ("429 Too Many Requests: too many failed authentications from this address; "
               f"retry in {retry_after} s.")
    return _with_body(429, {"Retry-After": str(retry_after)}, "text/plain; charset=utf-8",
                      message.encode())


def redirect(location: str, status: int, *, cache_control: str | None = None) -> Answer:
    headers = {"Location": quote(location, safe=_LOCATION_SAFE)}
    if cache_control is not None:
        headers["Cache-Control"] = cache_control
    return Answer(status, [*_encode(headers), (b"content-length", b"0")])


# -- pages --------------------------------------------------------------------------------------

def project_keys(project: str) -> str:
    """Surrogate keys of a project's simple page."""
    return f"project/{project} all-projects"


def _page_headers(page: Page, etag: str, headers: dict[str, str]) -> dict[str, str]:
    return {**headers, "ETag": etag, "X-PyPI-Last-Serial": str(page.serial),
            "Access-Control-Allow-Origin": "*"}


def cache_control(value: str, *, private: bool) -> str:
    """``value``, or for a private index's answers the same lifetime kept to the client: a
    shared cache (deploy/nginx.conf's, a CDN) stores no answer marked ``private``, so a page
    or file sent to one holder of a token is never sent to anyone else from there."""
    return value.replace("public", "private") if private else value


def simple_page(page: Page, media_type: str, keys: str, *, private: bool = False) -> Answer:
    """The 200 of a simple page sent as ``media_type``, cached under surrogate ``keys``;
    ``private`` for a private index's (``cache_control``)."""
    # text/html and v1+html share bytes but are distinct representations, so distinct ETags.
    etag = page.etag[:-1] + '-h"' if media_type == V1_HTML else page.etag
    content_type = f"{TEXT_HTML}; charset=utf-8" if media_type == TEXT_HTML else media_type
    headers = {"Vary": "Accept", "Cache-Control": cache_control(SIMPLE_CACHE_CONTROL,
                                                                private=private),
               "Surrogate-Key": keys}
    return _with_body(200, _page_headers(page, etag, headers), content_type, page.body)


def json_document(page: Page, project: str, *, private: bool = False) -> Answer:
    """The 200 of a JSON API document of ``project``; ``private`` for a private index's."""
    headers = {"Cache-Control": cache_control(JSON_API_CACHE_CONTROL, private=private),
               "Surrogate-Key": f"project/{project} all-legacy-json"}
    return _with_body(200, _page_headers(page, page.etag, headers), "application/json",
                      page.body)


def provenance(page: Page, media_type: str, project: str, *, private: bool = False) -> Answer:
    """The 200 of a file's provenance object (PEP 740's Integrity API) sent as ``media_type``,
    one of the two JSON types it is offered in, each with its own ETag; ``private`` for a
    private index's."""
    etag = page.etag if media_type == INTEGRITY_V1_JSON else page.etag[:-1] + '-j"'
    headers = {"Vary": "Accept",
               "Cache-Control": cache_control(PROVENANCE_CACHE_CONTROL, private=private),
               "Surrogate-Key": f"project/{project}", "X-Content-Type-Options": "nosniff"}
    return _with_body(200, _page_headers(page, etag, headers), media_type, page.body)


def no_provenance(filename: str) -> Answer:
    """PyPI's 404 for a file without provenance (or no such file in that release)."""
    body = json.dumps({"message": f"No provenance available for {filename}"}).encode()
    return _with_body(404, {"Vary": "Accept"}, "application/json", body)


# -- files --------------------------------------------------------------------------------------

def file_media_type(filename: str) -> str:
    if filename.endswith((".whl", ".zip")):
        return "application/zip"
    if filename.endswith(".tar.gz"):
        return "application/gzip"
    return "application/octet-stream"


def _disposition(filename: str) -> str:
    """RFC 6266: a plain quoted name when it needs no escaping, else the UTF-8 form."""
    quoted = quote(filename)
    if quoted == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename*=utf-8''{quoted}"


def file_headers(target: BlobTarget, *, private: bool = False) -> dict[str, str]:
    """What every answer about a file carries; the ETag is the content's SHA-256."""
    return {"ETag": f'"{target.sha256}"',
            "Cache-Control": cache_control(FILE_CACHE_CONTROL, private=private),
            "Last-Modified": format_datetime(target.uploaded.astimezone(dt.UTC), usegmt=True),
            "X-Content-Type-Options": "nosniff", "Access-Control-Allow-Origin": "*",
            "Accept-Ranges": "bytes", "Content-Disposition": _disposition(target.filename)}


def _range_spec(value: str) -> tuple[str, str] | None:
    """The first and last positions of a one-range ``bytes=`` value, as digits or empty."""
    unit, _, spec = value.partition("=")
    first, dash, last = spec.strip().partition("-")
    if unit.strip().lower() != "bytes" or "," in spec or not dash or not (first or last):
        return None
    if (first and not first.isdigit()) or (last and not last.isdigit()):
        return None
    return first, last


def parse_range(value: str | None, size: int | None) -> tuple[int, int] | bool | None:
    """The one byte range ``value`` asks of ``size`` bytes, as (first, last); None to send the
    whole file (no Range, an unknown size, a malformed or multi-range value, which RFC 9110
    lets a server ignore), False when it is well-formed but lies wholly past the end (416)."""
    spec = None if value is None or size is None else _range_spec(value)
    if spec is None or size is None:
        return None
    first_text, last_text = spec
    if not first_text:  # the last N bytes
        suffix = int(last_text)
        return (max(size - suffix, 0), size - 1) if suffix and size else False
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None
    last = int(last_text) if last_text else size - 1
    return False if first >= size else (first, min(last, size - 1))


def file_answer(target: BlobTarget, size: int | None, body: bytes | BlobBody,
                byte_range: tuple[int, int] | bool | None, *, private: bool = False) -> Answer:
    """The 200, 206 or 416 of a file of ``size`` bytes whose content is ``body`` (its bytes, or
    a blob read from the start when it is sent), for what ``parse_range`` made of the request's
    Range; ``private`` for a private index's."""
    headers = _encode(file_headers(target, private=private))
    headers.append((b"content-type", file_media_type(target.filename).encode()))
    if byte_range is False:
        return Answer(416, [*headers, (b"content-range", f"bytes */{size}".encode()),
                            (b"content-length", b"0")])
    if isinstance(byte_range, tuple):
        first, last = byte_range
        headers += [(b"content-range", f"bytes {first}-{last}/{size}".encode()),
                    (b"content-length", str(last - first + 1).encode())]
        if isinstance(body, bytes):
            return Answer(206, headers, body[first:last + 1])
        return Answer(206, headers, stream=BlobBody(body.open, first, last - first + 1))
    if size is not None:
        headers.append((b"content-length", str(size).encode()))
    download = None if target.filename.endswith(".metadata") else target.project
    if isinstance(body, bytes):
        return Answer(200, headers, body, download=download)
    return Answer(200, headers, stream=body, download=download)
