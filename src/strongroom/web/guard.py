"""The outermost ASGI layer: no exception leaves the application.

Strongroom's own errors become answers where they arise; anything else that escapes a request
is a bug or a broken part. It is logged here with its traceback under an incident number, and
the client gets a plain 500 naming that number (when no response has started yet), so the
server never sees an unhandled exception and no client ever sees a traceback.
"""

from __future__ import annotations

import logging
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)


def log_incident(log: logging.Logger, what: str) -> str:
    """Log the exception being handled, with its traceback, as ``what`` failing, under a new
    incident number; returns the number, for the answer to name."""
    incident = secrets.token_hex(4)
    log.exception("%s failed unexpectedly (incident %s)", what, incident)
    return incident


class CatchAll:
    """Wraps ``app``; lifespan and other non-HTTP scopes pass through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            incident = log_incident(logger, f"{scope.get('method')} {scope.get('path')}")
            if started:
                return  # the server ends the response it cannot complete
            body = f"500 Internal server error (incident {incident}).\n".encode()
            await send({"type": "http.response.start", "status": 500, "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ]})
            await send({"type": "http.response.body", "body": body})
