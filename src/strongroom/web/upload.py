"""``POST /legacy/``: the upload API twine speaks (multipart form, Basic auth with a token)."""

from __future__ import annotations

import base64
import binascii
from collections import defaultdict

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import Message

from strongroom.errors import NotAuthenticated, StrongroomError, TooLarge
from strongroom.upload import UploadRequest, UploadService
from strongroom.web import reason
from strongroom.web.errors import status_for

_MAX_FIELD_SIZE = 8 * 1024 * 1024  # long descriptions travel as a form field
_MAX_FIELDS = 2000
# Room for the form fields beside the file (descriptions, attestations).
_FORM_ALLOWANCE = 32 * 1024 * 1024


def limit_body(request: Request, max_bytes: int) -> Request:
    """The same request, but reading more than ``max_bytes`` of body raises TooLarge.

    A declared Content-Length over the limit is refused before anything is read.
    """
    too_large = TooLarge(f"File too large. Limit is {max_bytes // 2**20} MiB for the whole "
                         "upload request.")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_large
    received = 0
    upstream = request.receive

    async def receive() -> Message:
        nonlocal received
        message = await upstream()
        received += len(message.get("body", b""))
        if received > max_bytes:
            raise too_large
        return message

    return Request(request.scope, receive)


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
            request = limit_body(request, max_body)
            async with request.form(max_files=2, max_fields=_MAX_FIELDS,
                                    max_part_size=_MAX_FIELD_SIZE) as form:
                fields: dict[str, list[str]] = defaultdict(list)
                content: UploadFile | None = None
                for key, value in form.multi_items():
                    if isinstance(value, UploadFile):
                        if key == "content":
                            content = value
                    else:
                        fields[key].append(value)
                upload = UploadRequest(
                    fields=fields,
                    content=content.file if content else None,
                    content_filename=content.filename if content else None,
                    token=token,
                    user_agent=request.headers.get("user-agent"),
                )
                await run_in_threadpool(service.upload, upload)
        except StrongroomError as error:
            return _error(error)
        except HTTPException as exc:  # malformed multipart bodies, as Starlette reports them
            reason.REASON.set(f"Invalid upload form: {exc.detail}")
            return PlainTextResponse(f"Invalid upload form: {exc.detail}\n",
                                     status_code=exc.status_code)
        return PlainTextResponse("OK\n")

    async def redirect(_request: Request) -> Response:
        return RedirectResponse("/legacy/", status_code=308)

    return [
        Route("/legacy/", legacy_upload, methods=["POST"]),
        Route("/legacy", redirect, methods=["POST"]),
    ]
