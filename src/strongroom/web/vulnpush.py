"""The push feed of vulnerability reports: ``POST /_/vulnerabilities/osv/report``, in PyPI's
shape (what osv.dev sends to PyPI), so a feed that publishes records as they appear can keep
this index's advisories current between syncs.

Who may push: a feed signing with a configured key (``vulnerability_report_keys``: the
``VULN-PUBLIC-KEY-IDENTIFIER`` / ``VULN-PUBLIC-KEY-SIGNATURE`` headers, checked as Warehouse
checks them), or a user listed in ``vulnerability_reporters`` presenting an API token (Basic
``__token__``, or ``Bearer``). With neither setting the route does not exist (404). A report
is saved with the same store as imports (newer wins, the journal told); success is 204 as on
PyPI; bad bodies and bad signatures 400, naming the field or the header. The body is read to
at most ``MAX_REPORT_BYTES``, and the work runs in a worker thread.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from strongroom.db.base import utcnow
from strongroom.db.engine import Database
from strongroom.db.journal import Written
from strongroom.domain.principals import UPLOAD
from strongroom.errors import Forbidden, NotAuthenticated, StrongroomError, TooLarge
from strongroom.tokens import TokenService
from strongroom.vulns import VulnerabilityStore
from strongroom.vulns.push import (
    KEY_HEADER,
    MAX_REPORT_BYTES,
    SIGNATURE_HEADER,
    BadSignature,
    load_public_key,
    report_records,
    verify_report,
)
from strongroom.web.errors import status_for
from strongroom.web.upload import credentials_from

REPORT_PATH = "/_/vulnerabilities/osv/report"
_NO_STORE = {"Cache-Control": "no-store"}


class VulnerabilityReports:
    """The endpoint: authenticates a report, converts it and saves it."""

    def __init__(self, store: VulnerabilityStore, tokens: TokenService, *,
                 keys: dict[str, str], reporters: frozenset[str]) -> None:
        for identifier, pem in keys.items():  # a bad key stops the server at start
            load_public_key(identifier, pem)
        self._store = store
        self._tokens = tokens
        self._keys = keys
        self._reporters = reporters

    def _actor(self, request: Request, body: bytes) -> str:
        """Who pushes: the signing key's identifier or the reporter's user name. A signed
        report is checked against the keys; otherwise a reporter's token is asked for."""
        headers = request.headers
        signed = KEY_HEADER in headers or SIGNATURE_HEADER in headers
        if self._keys and signed:
            verify_report(body, headers.get(KEY_HEADER), headers.get(SIGNATURE_HEADER),
                          self._keys)
            return f"key {headers[KEY_HEADER]}"
        if self._reporters and "authorization" in headers:
            principal = self._tokens.authenticate(credentials_from(headers["authorization"]),
                                                  project="", now=utcnow(), action=UPLOAD)
            if principal.name not in self._reporters:
                raise Forbidden(f"user {principal.name!r} is not a vulnerability reporter")
            return principal.name
        if self._keys:
            alternative = " (or an API token of a vulnerability reporter)" \
                if self._reporters else ""
            raise BadSignature(f"the {KEY_HEADER} and {SIGNATURE_HEADER} headers are "
                               f"required{alternative}")
        raise NotAuthenticated("authenticate with the API token of a vulnerability reporter")

    def _save(self, request: Request, body: bytes) -> None:
        actor = self._actor(request, body)
        records = report_records(body, now=utcnow())
        self._store.save(records, source=f"report by {actor}", actor=actor)

    async def report(self, request: Request) -> Response:
        """Handle one POSTed report."""
        try:
            body = await _body(request)
            await run_in_threadpool(self._save, request, body)
        except StrongroomError as error:
            status = status_for(error)
            if isinstance(error, NotAuthenticated):
                status = 401
            headers = dict(_NO_STORE)
            if status == 401:
                headers["WWW-Authenticate"] = 'Basic realm="strongroom"'
            return JSONResponse({"message": error.message}, status_code=status,
                                headers=headers)
        return Response(status_code=204, headers=_NO_STORE)


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_REPORT_BYTES:
        raise TooLarge(f"the report is larger than {MAX_REPORT_BYTES} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_REPORT_BYTES:
            raise TooLarge(f"the report is larger than {MAX_REPORT_BYTES} bytes")
    return bytes(body)


def vulnerability_report_routes(db: Database, tokens: TokenService, *,
                                on_commit: Callable[[Written], None],
                                keys: dict[str, str], reporters: frozenset[str]
                                ) -> list[BaseRoute]:
    """The report route, or none when no key and no reporter is configured."""
    if not keys and not reporters:
        return []
    endpoint = VulnerabilityReports(VulnerabilityStore(db, on_commit=on_commit), tokens,
                                    keys=keys, reporters=reporters)
    return [Route(REPORT_PATH, endpoint.report, methods=["POST"])]
