"""``POST /legacy/``: the upload API twine speaks (multipart form, Basic auth with a token)."""

from __future__ import annotations

import base64
import binascii

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route

from strongroom.errors import NotAuthenticated, StrongroomError
from strongroom.upload import UploadRequest, UploadService
from strongroom.web import reason
from strongroom.web.errors import status_for
from strongroom.web.form import read_form

_MAX_FIELD_SIZE = 8 * 1024 * 1024  # long descriptions travel as a form field
_MAX_FIELDS = 2000
# Room for the form fields beside the file (descriptions, attestations).
_FORM_ALLOWANCE = 32 * 1024 * 1024


def token_from(request: Request) -> str:
    """The API token from ``Authorization`` (Basic ``__token__``, Token or Bearer).

    Raises NotAuthenticated with a message saying what to send instead.
    """
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    scheme = scheme.lower()
    if scheme in ("token", "bearer") and value.strip():
        return value.strip()
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
    return password


def _error(error: StrongroomError) -> Response:
    status = status_for(error, upload=True)
    reason.REASON.set(error.message)
    return PlainTextResponse(f"{status} {error.message}\n", status_code=status)


def upload_routes(service: UploadService) -> list[BaseRoute]:
    """The legacy upload endpoint, plus PyPI's 308 for the URL without its slash."""

    max_body = service.limits.max_file_size + _FORM_ALLOWANCE

    async def legacy_upload(request: Request) -> Response:
        try:
            token = token_from(request)
            form = await read_form(request.headers.get("content-type", ""),
                                   request.headers.get("content-length", ""), request.stream(),
                                   max_body=max_body, max_fields=_MAX_FIELDS,
                                   max_field_size=_MAX_FIELD_SIZE)
            try:
                upload = UploadRequest(fields=form.fields, content=form.content,
                                       content_filename=form.filename, token=token,
                                       user_agent=request.headers.get("user-agent"))
                await run_in_threadpool(service.upload, upload)
            finally:
                form.close()
        except StrongroomError as error:
            return _error(error)
        return PlainTextResponse("OK\n")

    async def redirect(_request: Request) -> Response:
        return RedirectResponse("/legacy/", status_code=308)

    return [
        Route("/legacy/", legacy_upload, methods=["POST"]),
        Route("/legacy", redirect, methods=["POST"]),
    ]
