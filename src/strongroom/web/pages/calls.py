"""JSON calls from the pages' own script (web/static/webauthn.js), held to the forms' rules.

A call is a POST of ``application/json`` (at most ``MAX_JSON_BYTES``, one object) carrying the
visit's CSRF secret in the ``X-CSRF-Token`` header, and refused, like a form, when its
``Origin`` names another site (visits.check_form). Another site cannot send such a request
without the browser asking this one first (a CORS preflight, never granted here). The answer
is JSON too: what the call gives, or ``{"error": words}`` with the refusal's status, and
``"redirect"`` where the page should go instead.
"""

from __future__ import annotations

import functools
import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from strongroom.errors import InvalidInput, StrongroomError, TooLarge, TooManyAttempts
from strongroom.web.errors import status_for
from strongroom.web.pages.site import Handler, Site
from strongroom.web.pages.templates import PAGE_HEADERS
from strongroom.web.pages.visits import CSRF_FIELD, Visit, check_form

MAX_JSON_BYTES = 64 * 1024
CSRF_HEADER = "x-csrf-token"


async def read_json(request: Request, visit: Visit) -> dict[str, Any]:
    """The call's JSON object, once it is known to come from this site's own page. Raises
    Forbidden (origin, CSRF), InvalidInput (not a JSON object), TooLarge."""
    check_form(request, visit, {CSRF_FIELD: request.headers.get(CSRF_HEADER, "")})
    content_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if content_type != "application/json":
        raise InvalidInput("send this call as application/json")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_JSON_BYTES:
            raise TooLarge(f"a call may hold at most {MAX_JSON_BYTES // 1024} KiB")
    try:
        value = json.loads(body.decode("utf-8")) if body else {}
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"this call is not JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise InvalidInput("this call must be a JSON object")
    return value


def answer_json(site: Site, visit: Visit, value: dict[str, Any] | str, *,
                status: int = 200) -> Response:
    """``value`` (an object, or JSON text already made) as the answer, with the pages'
    headers and the visit's cookies."""
    if isinstance(value, str):
        response: Response = Response(value, status_code=status, headers=PAGE_HEADERS,
                                      media_type="application/json")
    else:
        response = JSONResponse(value, status_code=status, headers=PAGE_HEADERS)
    return site.answer(response, visit)


def refusal(error: StrongroomError | str, *, status: int | None = None,
            redirect: str | None = None) -> JSONResponse:
    """``{"error": ...}`` (and ``"redirect"``) with the error's status, or ``status``."""
    words = error if isinstance(error, str) else error.message
    code = status if status is not None else (
        status_for(error) if isinstance(error, StrongroomError) else 400)
    body: dict[str, str] = {"error": words}
    if redirect is not None:
        body["redirect"] = redirect
    response = JSONResponse(body, status_code=code, headers=PAGE_HEADERS)
    if isinstance(error, TooManyAttempts):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def json_call(handler: Handler) -> Handler:
    """A call whose refusals (CSRF, limits, bad input) become ``refusal`` answers."""

    @functools.wraps(handler)
    async def call(site: Site, request: Request) -> Response:
        try:
            return await handler(site, request)
        except StrongroomError as error:
            return refusal(error)

    return call
