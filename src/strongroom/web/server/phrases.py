"""uvicorn's status lines carrying the reason phrase the app chose (web/reason.py).

uvicorn looks the status line up in a module-level table of each HTTP implementation
(``httptools_impl.STATUS_LINE``, ``h11_impl.STATUS_PHRASES``) as a response starts. ``install``
wraps both tables so that, while the task sending a response has set ``REASON``, its text is
used instead of the standard phrase. It is called by the adapter's HTTP protocol as it is first
built in a process (protocol.py), never at import and never by building the app.
"""

from __future__ import annotations

import http

from uvicorn.protocols.http import h11_impl, httptools_impl

from strongroom.web.reason import REASON


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


def installed() -> bool:
    """Whether uvicorn's tables carry the app's reason phrases in this process."""
    return isinstance(httptools_impl.STATUS_LINE, _HttptoolsStatusLines)
