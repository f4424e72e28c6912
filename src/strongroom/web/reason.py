"""Custom HTTP reason phrases under uvicorn.

PyPI puts upload errors in the status line's reason phrase and twine shows that phrase to the
user, so Strongroom must too. ASGI has no field for it, so uvicorn's status-line tables are
wrapped: while a response is sent from a task that set ``REASON``, its text is used instead of
the standard phrase. Each request runs in its own task, so the value never leaks between requests.
"""

from __future__ import annotations

import http
from contextvars import ContextVar

from uvicorn.protocols.http import h11_impl, httptools_impl

REASON: ContextVar[str | None] = ContextVar("strongroom_reason", default=None)


def _phrase(reason: str) -> bytes:
    # Status lines are ISO-8859-1 without control characters.
    cleaned = "".join(c if c.isprintable() else " " for c in reason)[:1024]
    return cleaned.encode("iso-8859-1", "replace")


class _H11Phrases(dict[int, bytes]):
    def __missing__(self, status: int) -> bytes:
        return _phrase(http.HTTPStatus(status).phrase)

    def __getitem__(self, status: int) -> bytes:
        reason = REASON.get()
        return _phrase(reason) if reason else super().__getitem__(status)


class _HttptoolsStatusLines(dict[int, bytes]):
    def __getitem__(self, status: int) -> bytes:
        reason = REASON.get()
        if reason:
            return b"HTTP/1.1 %d %s\r\n" % (status, _phrase(reason))
        return super().__getitem__(status)


def install() -> None:
    """Wrap uvicorn's tables once; safe to call repeatedly."""
    if not isinstance(h11_impl.STATUS_PHRASES, _H11Phrases):
        h11_impl.STATUS_PHRASES = _H11Phrases(h11_impl.STATUS_PHRASES)
    if not isinstance(httptools_impl.STATUS_LINE, _HttptoolsStatusLines):
        httptools_impl.STATUS_LINE = _HttptoolsStatusLines(httptools_impl.STATUS_LINE)
