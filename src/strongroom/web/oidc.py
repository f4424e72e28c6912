"""Trusted publishing's endpoints, in PyPI's shapes so that the PyPA's publish action (and any
client of PyPI's exchange) works against this index unchanged:

- ``GET /_/oidc/audience``: ``{"audience": ...}``, or 403 when trusted publishing is off;
- ``POST /_/oidc/mint-token`` (and PyPI's older ``/_/oidc/github/mint-token``) with
  ``{"token": "<OIDC JWT>"}``: ``{"success": true, "token": ..., "expires": <unix time>}``, or
  422 ``{"message": "Token request failed", "errors": [{"code", "description"}]}``;
- ``GET /.well-known/pytp?discover=%2Flegacy%2F``: PEP 807's discovery (a draft, so
  experimental here), with its features: single-use and multi-use tokens.

Error bodies also carry RFC 9457's ``title``, ``status`` and ``detail``, as PEP 807 asks, beside
PyPI's members. A request body is read to at most 64 KiB (an OIDC token is 1-3 KiB), and the
work (fetching an issuer's keys, the database, the failures' counters) runs in a worker thread.
Failed exchanges are limited per client address (``mint_failure_rate``): past the limit an
address gets 429 with ``Retry-After`` and its tokens are not looked at.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from strongroom.accounts import Client
from strongroom.errors import Unavailable
from strongroom.oidc import Code, TokenRequestFailed, TrustedPublishing
from strongroom.web.pages.visits import client_address
from strongroom.web.ratelimit import AddressFailures
from strongroom.web.upload import UPLOAD_PATH

AUDIENCE_PATH = "/_/oidc/audience"
MINT_PATH = "/_/oidc/mint-token"
GITHUB_MINT_PATH = "/_/oidc/github/mint-token"
DISCOVERY_PATH = "/.well-known/pytp"
PYTP_TYPE = "application/vnd.pypi.pytp.v1+json"
MAX_BODY = 64 * 1024
SINGLE_USE, MULTI_USE = "single-use-token", "multi-use-token"
_NOT_ENABLED = "Trusted publishing functionality not enabled"
_NO_STORE = {"Cache-Control": "no-store"}
_ACCEPTED = frozenset({PYTP_TYPE, "application/json", "application/*", "*/*"})


def _problem(status: int, title: str, errors: list[dict[str, str]] | None = None, *,
             media_type: str = "application/json") -> JSONResponse:
    """An error in PyPI's shape (``message``, ``errors``) and RFC 9457's (``title``,
    ``status``, ``detail``) at once."""
    body: dict[str, Any] = {"message": title, "title": title, "status": status}
    if errors:
        body["errors"] = errors
        body["detail"] = "; ".join(e["description"] for e in errors)
    return JSONResponse(body, status_code=status, headers=_NO_STORE, media_type=media_type)


def _failed(code: str, description: str, *, status: int = 422) -> JSONResponse:
    return _problem(status, "Token request failed", [{"code": code, "description": description}])


def _too_many(wait: int) -> JSONResponse:
    answer = _failed("rate-limited", f"too many failed token requests from this address; "
                     f"retry in {wait} s", status=429)
    answer.headers["Retry-After"] = str(wait)
    return answer


async def _body(request: Request) -> bytes | None:
    """The request body, or None when it is longer than MAX_BODY."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY:
        return None
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            return None
    return bytes(body)


def _payload(body: bytes) -> tuple[str, bool]:
    """The OIDC token and whether a single-use token is asked for (PEP 807's features).
    Raises TokenRequestFailed (invalid-payload) naming what is wrong."""
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise TokenRequestFailed(Code.INVALID_PAYLOAD, "the body is not JSON") from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("token"), str):
        raise TokenRequestFailed(Code.INVALID_PAYLOAD,
                                 'the body must be a JSON object {"token": "<OIDC token>"}')
    features = payload.get("features", [MULTI_USE])
    if (not isinstance(features, list) or not all(isinstance(f, str) for f in features)
            or not set(features) <= {SINGLE_USE, MULTI_USE} or len(set(features)) != 1):
        raise TokenRequestFailed(Code.INVALID_PAYLOAD,
                                 f"features: give one of {SINGLE_USE!r} and {MULTI_USE!r}")
    return payload["token"], features == [SINGLE_USE]


def oidc_routes(publishing: TrustedPublishing, *, base_url: str, base_path: str,
                failures: AddressFailures | None = None) -> list[BaseRoute]:
    """The routes, for an index reached at ``base_url`` whose upload path is ``base_path`` +
    ``/legacy/``; ``failures`` counts failed exchanges per client address (None: unlimited)."""

    async def audience(_request: Request) -> Response:
        if not publishing.enabled:
            return JSONResponse({"message": _NOT_ENABLED}, status_code=403, headers=_NO_STORE)
        return JSONResponse({"audience": publishing.audience}, headers=_NO_STORE)

    async def mint(request: Request) -> Response:
        body = await _body(request)
        if body is None:
            return _failed(Code.INVALID_PAYLOAD, f"the body is longer than {MAX_BODY} bytes")
        client = Client(client_address(request), request.headers.get("user-agent", "")[:300])
        wait = None if failures is None else await run_in_threadpool(failures.retry_after,
                                                                      client.address)
        if wait is not None:
            return _too_many(wait)
        try:
            token, single_use = _payload(body)
            minted = await run_in_threadpool(publishing.mint, token, single_use=single_use,
                                             client=client)
        except TokenRequestFailed as failure:
            if failures is not None:
                await run_in_threadpool(failures.failed, client.address)
            return _failed(failure.code, failure.message)
        except Unavailable as busy:
            return _failed("unavailable", busy.message, status=503)
        return JSONResponse({"success": True, "token": minted.token,
                             "expires": int(minted.expires.timestamp())}, headers=_NO_STORE)

    async def discover(request: Request) -> Response:
        accept = {part.split(";")[0].strip().lower()
                  for part in request.headers.get("accept", PYTP_TYPE).split(",")}
        if not accept & _ACCEPTED:
            return _problem(406, "Not Acceptable: ask for " + PYTP_TYPE,
                            media_type="application/problem+json")
        wanted = request.query_params.get("discover", "")
        upload = base_path + UPLOAD_PATH
        if not publishing.enabled or wanted not in (upload, upload.rstrip("/")):
            return _problem(404, f"No trusted publishing for the upload URL path {wanted[:200]!r}",
                            media_type="application/problem+json")
        return JSONResponse({"audience-endpoint": base_url + AUDIENCE_PATH,
                             "token-mint-endpoint": base_url + MINT_PATH,
                             "features": [SINGLE_USE, MULTI_USE],
                             "default-features": [MULTI_USE]},
                            media_type=PYTP_TYPE, headers=_NO_STORE)

    return [Route(AUDIENCE_PATH, audience, methods=["GET"]),
            Route(MINT_PATH, mint, methods=["POST"]),
            Route(GITHUB_MINT_PATH, mint, methods=["POST"]),
            Route(DISCOVERY_PATH, discover, methods=["GET"])]
