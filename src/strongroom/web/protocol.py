"""uvicorn's httptools protocol, answering warm reads itself and sending each response's head
and body in one write.

Warm reads: a GET or HEAD of a rendered simple page or a small file already in memory is
answered as soon as its headers are parsed, from ``Reads.warm`` (web/reads.py), without the ASGI
request uvicorn would build for it (its scope, task and response cycle, most of what such a
request costs). Only when nothing else is under way on the connection (no response being sent,
no pipelined request waiting, the client reading what it is sent), for HTTP/1.1 keep-alive
requests with a plain path, and without an access log; every other request, and every warm
read that is not ready, goes to the ASGI app as before, with the same bytes and headers.

One write: uvicorn writes a response's status line and headers when the app starts the
response, and the body when the app sends it: two ``send()`` calls, and usually two TCP
segments, for every small page, and the client wakes for each. Here each connection's transport
holds back a small write (a response's head) until the next write, which goes out joined with
it, or until the end of the event loop's turn, whichever comes first. Order is kept and nothing
waits past the current turn, so responses without a body (HEAD, 304) and streamed bodies go out
as before.

Every connection is also held to the index's ``ConnectionLimits`` (slow and oversized clients:
web/connection.py, which this protocol builds on).

Used by ``strongroom serve`` and the gunicorn worker of deploy/gunicorn.conf.py; uvicorn takes
it as ``--http strongroom.web.protocol:HttpProtocol``.
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.protocols.http import httptools_impl

from strongroom.web.connection import LimitedProtocol
from strongroom.web.reads import Reads

_HOLD = 4096  # bytes: a response head is held back; a larger write goes out at once


class JoiningTransport(asyncio.Transport):
    """A transport that holds a small write until the next write or the end of the loop's turn."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        held = self._held
        if held is not None:
            self._held = None
            data = held + data
        elif len(data) <= _HOLD:
            self._held = bytes(data)
            self._loop.call_soon(self.flush)
            return
        self._transport.write(data)

    def flush(self) -> None:
        """Send what is held, if anything (the end of the loop's turn calls this)."""
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + len(self._held or b"")


class _NothingWaits:
    def set(self) -> None:
        """Nobody waits for more of a request answered without a response cycle."""


class _Answered:
    """Stands in for the response cycle of a request answered here: complete from the start
    (uvicorn and LimitedProtocol look at these attributes of the connection's last cycle)."""

    response_started = True
    response_complete = True
    keep_alive = True
    waiting_for_100_continue = False
    message_event = _NothingWaits()


_ANSWERED: Any = _Answered()


def _warm_reads(app: object) -> Reads | None:
    """The ``Reads`` layer among the ASGI apps uvicorn wraps around the index, if any."""
    while app is not None and not isinstance(app, Reads):
        app = getattr(app, "app", None)
    return app


class HttpProtocol(LimitedProtocol):
    """uvicorn's httptools protocol over a ``JoiningTransport``, answering warm reads itself,
    with every connection held to the index's ``ConnectionLimits``."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvicorn serves streams (TCP, Unix sockets); their transports write.
        stream = cast(asyncio.Transport, transport)
        super().connection_made(JoiningTransport(stream, self.loop))
        self._warm = None if self.access_log else _warm_reads(self.app)

    def start_request(self) -> None:
        if not self._answer_warm():
            super().start_request()

    def _answer_warm(self) -> bool:
        """Answer the request whose headers were just parsed, if it is a warm read that may be
        answered here (module docstring); whether it was."""
        warm, cycle, url = self._warm, self.cycle, self.url
        if (warm is None or (cycle is not None and not cycle.response_complete)
                or self.pipeline or self.flow.write_paused or not url.startswith(b"/")
                or b"?" in url or b"%" in url):
            return False
        parser = self.parser
        method = parser.get_method()
        if (method not in (b"GET", b"HEAD") or parser.get_http_version() != "1.1"
                or not parser.should_keep_alive() or parser.should_upgrade()):
            return False
        answer = warm.warm(method.decode("ascii"), url.decode("ascii"), self.headers)
        if answer is None:
            return False
        content = [httptools_impl.STATUS_LINE[answer.status]]
        for name, value in (*self.server_state.default_headers, *answer.headers):
            content += [name, b": ", value, b"\r\n"]
        content.append(b"\r\n")
        if method == b"GET":
            content.append(answer.body)
        self.transport.write(b"".join(content))
        # What uvicorn does when a response cycle completes, for a keep-alive connection.
        self.cycle = _ANSWERED
        self.server_state.total_requests += 1
        self._unset_keepalive_if_required()
        self.timeout_keep_alive_task = self.loop.call_later(
            self.timeout_keep_alive, self.timeout_keep_alive_handler)
        return True
