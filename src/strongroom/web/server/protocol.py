"""uvicorn's httptools protocol, answering warm reads itself and sending each response's head
and body in one write.

Warm reads: a GET or HEAD of a rendered simple page or a small file already in memory is
answered as soon as its headers are parsed, from ``Reads.warm`` (web/reads.py), without the ASGI
request uvicorn would build for it (its scope, task and response cycle, most of what such a
request costs). Only when nothing else is under way on the connection (no response being sent,
no pipelined request waiting, the client reading what it is sent), for HTTP/1.1 keep-alive
requests with a plain path, and without an access log; every other request, and every warm
read that is not ready, goes to the ASGI app as before, with the same bytes and headers (where
the protocol is not used, ``Reads`` answers the same reads as ASGI middleware).

One write: each connection's transport is a ``JoiningTransport`` (joining.py). Every connection
is also held to the index's ``ConnectionLimits`` (limits.py, which this protocol builds on), and
the first connection in a process installs the app's reason phrases in uvicorn's status lines
(phrases.py).

Used by ``strongroom serve`` and the gunicorn worker of gunicorn.py (deploy/gunicorn.conf.py);
uvicorn's own command line takes it as ``--http strongroom.web.server.protocol:HttpProtocol``
(without the version check ``strongroom serve`` and the worker make: see the package).
"""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.protocols.http import httptools_impl

from strongroom.web.reads import Reads
from strongroom.web.server import phrases
from strongroom.web.server.joining import JoiningTransport
from strongroom.web.server.limits import LimitedProtocol


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

    _phrases_installed = False  # in this process (set on the class)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if not self._phrases_installed:
            phrases.install()
            HttpProtocol._phrases_installed = True
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
