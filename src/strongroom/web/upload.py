"""``POST /legacy/``: the upload API twine speaks (multipart form, Basic auth with a token).

The endpoint is a plain ASGI app that the outermost layer calls directly for ``POST /legacy/``
(``UploadsFirst``), so an upload passes through no framework objects: it reads the headers it
needs from the scope, parses the body as it arrives, runs the upload service and answers in
plain text, with the error in the reason phrase as PyPI does. Starlette keeps a route for the
same path, so other methods get its 405.

The event loop only reads the body; the upload service runs on the endpoint's own threads,
whatever the upload's size or the backends: its work (hashing, archive checks, the database's
write lock, the README renderer's round trip) can take long, and the loop's thread serves every
read. Anything the service raises other than Strongroom's own errors is a bug or a broken part:
it is logged with its traceback under an incident number, and the client gets a 500 that names
that number and nothing else.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor

from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from strongroom.domain.principals import Credentials
from strongroom.errors import NotAuthenticated, StrongroomError
from strongroom.upload import UploadRequest, UploadService
from strongroom.web import reason
from strongroom.web.errors import status_for, upload_words
from strongroom.web.form import BodyLimit, read_form
from strongroom.web.guard import log_incident

UPLOAD_PATH = "/legacy/"
_MAX_FIELD_SIZE = 8 * 1024 * 1024  # long descriptions travel as a form field
_MAX_FIELDS = 2000
# Room for the form fields beside the file (descriptions, attestations).
_FORM_ALLOWANCE = 32 * 1024 * 1024
_WANTED = frozenset({b"authorization", b"content-type", b"content-length", b"user-agent"})
logger = logging.getLogger(__name__)


def credentials_from(authorization: str) -> Credentials:
    """The credentials of an ``Authorization`` value: an API token, sent as the password of
    Basic authentication with the user name ``__token__`` (as twine does), or after ``Token``
    or ``Bearer``. Whether the token is any good is the authenticator's to say.

    Raises NotAuthenticated with a message saying what to send instead.
    """
    scheme, _, value = authorization.partition(" ")
    scheme = scheme.lower()
    if scheme in ("token", "bearer") and value.strip():
        return Credentials(value.strip())
    if scheme != "basic":
        raise NotAuthenticated("Invalid or non-existent authentication information. "
                               "Upload with username __token__ and an API token as password.")
    try:
        username, _, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise NotAuthenticated("Invalid or non-existent authentication information: "
                               "malformed Basic credentials.") from exc
    if username != "__token__":
        raise NotAuthenticated("Username/Password authentication is not supported. "
                               "Upload with username __token__ and an API token as password.")
    return Credentials(password)


class _Disconnected(Exception):
    """The client went away before its body was read to the end."""


async def _body(receive: Receive) -> AsyncIterator[bytes]:
    """The request body's chunks as they arrive."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise _Disconnected
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


class LegacyUpload:
    """The upload endpoint as an ASGI app. ``close()`` stops its threads."""

    def __init__(self, service: UploadService, *, threads: int = 8) -> None:
        self.service = service
        # A body over the default file limit is read on only as far as its project allows
        # (a project's own limit is looked up then, off the loop): an upload to a project on
        # the default stops at the default, whatever limits other projects have; one declaring
        # a length no project allows is refused unread.
        self.max_body = BodyLimit(service.limits.max_file_size + _FORM_ALLOWANCE,
                                  self._largest_body)
        # Its own pool: an upload holds a thread for milliseconds, and a pool of its own costs
        # less per hop than the framework's (no capacity limiter or cancel scopes).
        self._threads = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="upload")

    async def _largest_body(self, project: str | None) -> int:
        """The largest body an upload to ``project`` (None: to any project) may send."""
        loop = asyncio.get_running_loop()
        largest = await loop.run_in_executor(self._threads, self.service.largest_file, project)
        return largest + _FORM_ALLOWANCE

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            status, text = await self._upload(scope, receive)
        except _Disconnected:
            return
        body = f"{text}\n".encode()
        await send({"type": "http.response.start", "status": status, "headers": [
            (b"content-length", str(len(body)).encode()),
            (b"content-type", b"text/plain; charset=utf-8"),
        ]})
        await send({"type": "http.response.body", "body": body})

    async def _upload(self, scope: Scope, receive: Receive) -> tuple[int, str]:
        """The status and text of the answer to one upload."""
        headers = {k: v.decode("latin-1") for k, v in scope["headers"] if k in _WANTED}
        try:
            credentials = credentials_from(headers.get(b"authorization", ""))
            form = await read_form(headers.get(b"content-type", ""),
                                   headers.get(b"content-length", ""), _body(receive),
                                   max_body=self.max_body, max_fields=_MAX_FIELDS,
                                   max_field_size=_MAX_FIELD_SIZE)
            try:
                upload = UploadRequest(fields=form.fields, content=form.content,
                                       content_filename=form.filename,
                                       credentials=credentials,
                                       user_agent=headers.get(b"user-agent"))
                loop = asyncio.get_running_loop()
                await loop.run_in_executor(self._threads, self.service.upload, upload)
            finally:
                form.close()
        except StrongroomError as error:
            status = status_for(error, upload=True)
            message = upload_words(error)
        except _Disconnected:
            raise
        except Exception:
            incident = log_incident(logger, "upload")
            status = 500
            message = (f"Internal server error (incident {incident}); the upload may not have "
                       "been published. Try again, or tell the index's administrators.")
        else:
            return 200, "OK"
        reason.REASON.set(message)
        return status, f"{status} {message}"

    def close(self) -> None:
        """Wait for uploads under way, then stop the threads."""
        self._threads.shutdown()


class UploadsFirst:
    """Hands ``POST /legacy/`` straight to the upload endpoint and everything else to ``app``."""

    def __init__(self, app: ASGIApp, upload: ASGIApp) -> None:
        self.app = app
        self.upload = upload

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == UPLOAD_PATH and scope["method"] == "POST":
            await self.upload(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def upload_routes(upload: ASGIApp) -> list[BaseRoute]:
    """The upload endpoint's route (so other methods get 405), plus PyPI's 308 for the URL
    without its slash."""

    async def redirect(_request: object) -> Response:
        return RedirectResponse(UPLOAD_PATH, status_code=308)

    return [
        Route(UPLOAD_PATH, upload, methods=["POST"]),
        Route("/legacy", redirect, methods=["POST"]),
    ]
