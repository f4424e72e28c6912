"""How the app says "this answer's reason phrase is X", without knowing which server runs it.

PyPI puts upload errors in the status line's reason phrase and twine shows that phrase to the
user. ASGI has no field for it, so an endpoint sets ``REASON`` in the task that sends the
response (each request runs in its own task, so the value never leaks between requests). The
server adapter (web/server/) makes uvicorn's status line carry it; any other server ignores it,
and the same text still travels in the body.
"""

from __future__ import annotations

from contextvars import ContextVar

REASON: ContextVar[str | None] = ContextVar("strongroom_reason", default=None)
