"""uvicorn's httptools protocol, holding every client connection to ``ConnectionLimits``, so
that the server can face the internet without a proxy in front.

The limits (config.py) come from the ``connection_limits`` attribute of the index's outermost
ASGI layer (create_app puts them there), found once per connection, so they apply however the
server was started: ``strongroom serve``, its ``--workers``, or a gunicorn worker.

- The request line and headers must be complete ``head_timeout`` seconds after the connection
  opens, or after the first byte of each later request on it. A connection that never sent a
  byte is then closed without a word; any other gets 408.
- A body may pause at most ``body_timeout`` seconds, and after that grace must average
  ``min_body_rate`` bytes per second: it is late at start + body_timeout + received /
  min_body_rate (Apache mod_reqtimeout's "body=20,MinRate=500"). Then 408 unless a response
  has started, and the app's next read gets ``http.disconnect``.
- A client that leaves a response unread (the transport stays paused for writing) longer than
  ``send_timeout`` is cut off.
- A request target over ``max_request_line`` bytes gets 414, and a head over
  ``max_header_bytes`` gets 431, as soon as the byte past the limit arrives: the bytes are
  counted as they are read, because httptools would buffer a whole header value before uvicorn
  sees it.
- A connection beyond ``max_connections`` open in this process gets 503 with ``Retry-After`` at
  once and is closed, never counted or read.

Every answer here is plain text saying which limit was exceeded and ends the connection; none
is logged. Time during which uvicorn itself stopped reading (the app is not reading the body,
or a pipelined request waits its turn) is not held against the client. One timer per
connection watches all of this: it is set for the earliest moment a limit can be due, and when
it fires it looks again and sets itself for the next, so the bytes and requests of a connection
move its deadlines with a few assignments, not timer calls. Every request passes through
``data_received``, ``on_url``, ``on_headers_complete`` and ``on_message_complete``, so those
are written for speed: one clock read per read, no calls of their own in the common case, no
``super()`` (a warm page cost 7.6k instructions more here than without the limits, about 3%
of its server time; written plainly, 14k).

This module relies on these parts of uvicorn's ``HttpToolsProtocol`` (0.55): the parser
callbacks (its ``on_message_begin`` gives each request a new ``headers`` list, and its
``on_message_complete`` does nothing for a cycle whose response is complete), ``parser``,
``url``, ``headers``, ``cycle`` (its ``response_started``, ``response_complete``,
``keep_alive``, ``disconnected``, ``message_event``, ``waiting_for_100_continue``),
``expect_100_continue`` (set by its ``on_header`` for the request being read), ``flow``
(``FlowControl``: ``read_paused``, ``write_paused``, ``pause_reading``, ``resume_reading``),
``connections``, ``server_state.default_headers``, ``logger``, and the methods
``_unset_keepalive_if_required``, ``_should_upgrade``, ``handle_websocket_upgrade``,
``_unsupported_upgrade_warning`` and ``send_400_response``.
"""

from __future__ import annotations

import asyncio
import enum
import math
from collections.abc import Callable
from typing import cast

import httptools
from uvicorn.protocols.http.flow_control import FlowControl
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from strongroom.config import ConnectionLimits

_DEFAULT_LIMITS = ConnectionLimits()
_RETRY_AFTER = b"5"  # seconds a client turned away at the connection cap is asked to wait
# Our own status lines: uvicorn's table may carry an upload error's reason phrase (phrases.py).
_STATUS_LINES = {
    408: b"HTTP/1.1 408 Request Timeout\r\n",
    414: b"HTTP/1.1 414 URI Too Long\r\n",
    431: b"HTTP/1.1 431 Request Header Fields Too Large\r\n",
    503: b"HTTP/1.1 503 Service Unavailable\r\n",
}


def _connection_limits(app: object) -> ConnectionLimits:
    """The ``connection_limits`` carried by ``app`` or an ASGI layer inside it (following
    ``.app``), or the defaults for an app that carries none."""
    while app is not None:
        limits = getattr(app, "connection_limits", None)
        if isinstance(limits, ConnectionLimits):
            return limits
        app = getattr(app, "app", None)
    return _DEFAULT_LIMITS


def _final_answer(status: int, text: str, headers: list[tuple[bytes, bytes]]) -> bytes:
    """A whole response with ``text`` as its plain-text body and ``Connection: close``, after
    ``headers`` (the server's default headers and any of the answer's own)."""
    body = f"{text}\n".encode()
    content = [_STATUS_LINES[status]]
    for name, value in (*headers, (b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", b"%d" % len(body)), (b"connection", b"close")):
        content += [name, b": ", value, b"\r\n"]
    content += [b"\r\n", body]
    return b"".join(content)


def _seconds(value: float) -> str:
    """``value`` seconds, in words."""
    return "1 second" if value == 1 else f"{value:g} seconds"


class _StopParsing(Exception):
    """Raised in a parser callback once a limit was exceeded and answered: httptools stops
    there, so nothing more of the input is parsed."""


class _Phase(enum.Enum):
    WAITING = enum.auto()  # between requests: the app answers, or uvicorn's keep-alive timer runs
    HEAD = enum.auto()  # a request line and headers are arriving
    BODY = enum.auto()  # a request body is arriving
    ENDING = enum.auto()  # answered for good, or handed over: input is no longer parsed


# The phases as module globals: several are read per request, and reading an enum member
# through its class costs nine times what reading a global does (73 against 8 ns here).
_WAITING, _HEAD, _BODY, _ENDING = _Phase.WAITING, _Phase.HEAD, _Phase.BODY, _Phase.ENDING


class _ReadingClock(FlowControl):
    """uvicorn's flow control, with a clock that stands still while reading is paused: the
    client is not to blame for that time. ``on_resume`` is called whenever reading resumes."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop,
                 on_resume: Callable[[], None]) -> None:
        super().__init__(transport)
        self._loop = loop
        self._on_resume = on_resume
        self._paused_at = 0.0
        self.paused_for = 0.0  # seconds reading was paused in all: loop time less this is the
        # clock's time while reading is not paused (the hot paths read it so, without a call)

    def pause_reading(self) -> None:
        if not self.read_paused:
            self._paused_at = self._loop.time()
            super().pause_reading()

    def resume_reading(self) -> None:
        if self.read_paused:
            self.paused_for += self._loop.time() - self._paused_at
            super().resume_reading()
            self._on_resume()

    def now(self) -> float:
        """The loop's time, in seconds, less all the time reading was paused."""
        if self.read_paused:
            return self._paused_at - self.paused_for
        return self._loop.time() - self.paused_for

    def when(self, moment: float) -> float:
        """The loop's time at which this clock shows ``moment``, if reading is not paused."""
        return moment + self.paused_for


class LimitedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol holding each connection to the app's ``ConnectionLimits``
    (module docstring). A subclass may answer a request itself by overriding
    ``start_request``."""

    _limits: ConnectionLimits
    _reading: _ReadingClock
    _phase = _ENDING
    _timer: asyncio.TimerHandle | None = None
    _timer_at = math.inf  # loop time the timer is set for; infinite when none is
    _continue_sent_to: object = None  # the cycle whose "100 Continue" the timer has seen sent
    _head_bytes = 0
    # Deadlines and moments on the reading clock (seconds), and the body's bytes so far.
    _head_started = 0.0
    _body_start = 0.0
    _body_last = 0.0
    _body_bytes = 0
    _write_paused_at = 0.0  # loop time
    _done_headers: object = None  # the header list of the last request parsed to its end
    _read_at = 0.0  # loop time of the last read

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvicorn serves streams (TCP, Unix sockets); their transports write.
        stream = cast(asyncio.Transport, transport)
        self._limits = limits = _connection_limits(self.app)
        if len(self.connections) >= limits.max_connections:
            self._turn_away(stream)
            return
        super().connection_made(stream)
        self.flow = self._reading = _ReadingClock(stream, self.loop, self._rearm)
        self._begin_head()

    def _turn_away(self, transport: asyncio.Transport) -> None:
        """Answer 503 and close: this process has all the connections it accepts. The
        connection is not counted (``connections``) and never read."""
        self.transport = transport
        text = (f"Service unavailable: this server process already has "
                f"{self._limits.max_connections} connections open, the most it accepts.")
        headers = [*self.server_state.default_headers, (b"retry-after", _RETRY_AFTER)]
        transport.write(_final_answer(503, text, headers))
        transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self._phase = _ENDING
        self._cancel_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes | memoryview) -> None:
        # Every request passes here, so the common case calls nothing of this class: the head's
        # start (``_begin_head``) is written out inline, and parsing too.
        phase = self._phase
        self._read_at = now = self.loop.time()
        if phase is _BODY:
            self._body_bytes += len(data)
            self._body_last = now - self._reading.paused_for  # reading is not paused
        elif phase is _ENDING:
            return
        else:
            limits = self._limits
            if phase is _WAITING:
                self._phase = _HEAD
                self._head_bytes = 0
                self._head_started = now - self._reading.paused_for
                if now + limits.head_timeout < self._timer_at:
                    self._wake_by(now + limits.head_timeout)
            head = self._head_bytes + len(data)
            if head > limits.max_header_bytes:
                self._feed_head_over(memoryview(data), limits.max_header_bytes - self._head_bytes)
                return
            self._head_bytes = head
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except (httptools.HttpParserUpgrade, httptools.HttpParserError) as exc:
            self._not_parsed(exc)
            return
        if self._phase is _WAITING and self.headers is not self._done_headers:
            # A request began in this read after the one before ended (uvicorn's
            # on_message_begin gave it a new header list), and its head is not complete: it
            # is timed from now, and its bytes counted from the next read.
            self._begin_head()

    def _feed_head_over(self, data: memoryview, room: int) -> None:
        """Parse ``data``, of which only ``room`` more bytes may belong to the head under way:
        those first; if that head is still not complete it is refused, else the rest is parsed
        as usual (a body, or more requests)."""
        self.data_received(data[:room])  # fills the head up to its limit, no further
        if self._phase is _ENDING:
            return
        # Still the same head (one begun since would have been counted from zero).
        if self._phase is _HEAD and self._head_bytes >= self._limits.max_header_bytes:
            self._refuse(431, f"Request header fields too large: more than "
                              f"{self._limits.max_header_bytes} bytes.")
            return
        self.data_received(data[room:])

    def _not_parsed(self, exc: Exception) -> None:
        """What uvicorn does when the parser stops: hand an upgrade over, or answer a malformed
        request with 400 (not after _StopParsing: the limit was answered already)."""
        if isinstance(exc, httptools.HttpParserUpgrade):
            if self._should_upgrade():
                self._phase = _ENDING  # another protocol reads the connection now
                self._cancel_timer()
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        elif self._phase is not _ENDING:
            self._phase = _ENDING
            msg = "Invalid HTTP request received."
            self.logger.warning(msg)
            self.send_400_response(msg)

    def on_url(self, url: bytes) -> None:
        self.url += url
        if len(self.url) > self._limits.max_request_line:
            self._refuse(414, f"URI too long: the request target is more than "
                              f"{self._limits.max_request_line} bytes.")
            raise _StopParsing

    def on_headers_complete(self) -> None:
        self._phase = _BODY
        # The head ended in the read under way: the body starts at that read's time, on the
        # reading clock (no clock call of its own: every request passes here).
        read_at = self._read_at
        self._body_start = self._body_last = read_at - self._reading.paused_for
        self._body_bytes = 0
        due = read_at + self._limits.body_timeout
        if due < self._timer_at:  # usually set already, for the head's sooner deadline
            self._wake_by(due)
        self.start_request()

    def start_request(self) -> None:
        """Start answering the request whose head was just parsed: uvicorn's ASGI cycle."""
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._phase = _WAITING
        self._done_headers = self.headers
        # uvicorn's own does nothing for a request already answered (a warm read): skip the
        # call, which is one of the few a warm read costs.
        if not self.cycle.response_complete:
            HttpToolsProtocol.on_message_complete(self)

    def pause_writing(self) -> None:
        super().pause_writing()
        self._write_paused_at = self.loop.time()
        self._wake_by(self._write_paused_at + self._limits.send_timeout)

    def _begin_head(self) -> None:
        """A request's head starts arriving: it has ``head_timeout`` seconds.

        On a busy keep-alive connection the timer is usually set already for an earlier
        request's deadline, which is sooner: it looks again when it fires, so most requests
        cost the timer one comparison. (Reading is not paused while a head arrives, so the
        loop's time is the reading clock's plus what it was paused.)
        """
        self._phase = _HEAD
        self._head_bytes = 0
        now = self.loop.time()
        self._head_started = now - self._reading.paused_for
        if now + self._limits.head_timeout < self._timer_at:
            self._wake_by(now + self._limits.head_timeout)

    def _deadline(self) -> float:
        """When, on the reading clock, the head or body under way is late (infinity when
        neither is under way)."""
        if self._phase is _HEAD:
            return self._head_started + self._limits.head_timeout
        if self._phase is _BODY:
            limits = self._limits
            return min(self._body_last + limits.body_timeout, self._body_start
                       + limits.body_timeout + self._body_bytes / limits.min_body_rate)
        return math.inf

    def _wake_by(self, when: float) -> None:
        """Have the timer fire at loop time ``when`` at the latest. A timer set earlier is left
        alone: when it fires, it looks again."""
        if when < self._timer_at:
            self._cancel_timer()
            self._timer_at = when
            self._timer = self.loop.call_at(when, self._on_timer)

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer, self._timer_at = None, math.inf

    def _rearm(self) -> None:
        """Reading resumed: the deadline of the head or body under way runs again."""
        self._wake_by(self._reading.when(self._deadline()))

    def _on_timer(self) -> None:
        """Enforce whichever limit is due, or set the timer for the next one that can be."""
        self._timer, self._timer_at = None, math.inf
        if self.flow.write_paused:
            due = self._write_paused_at + self._limits.send_timeout
            if self.loop.time() >= due:
                self.transport.abort()  # the client has not read what it was sent
                return
            self._wake_by(due)
        if self._reading.read_paused or self.transport.is_closing():
            return  # _rearm sets the timer again when reading resumes
        if self._phase is _BODY and self.expect_100_continue and not self._body_bytes:
            self._wait_for_continue()
        deadline = self._deadline()
        if self._reading.now() < deadline:
            self._wake_by(self._reading.when(deadline))
        elif self._phase is _HEAD:
            self._head_too_slow()
        else:
            self._body_too_slow()

    def _wait_for_continue(self) -> None:
        """The client of the body under way asked to wait for "100 Continue" and has sent none
        of it: while the app has not read (its first read sends the 100), the body's clock
        starts again; once the 100 is out, it starts again one more time, since when it went
        out is not known (any time since the timer last looked), so the client gets a whole
        ``body_timeout`` after it, and no more."""
        cycle = self.cycle
        if cycle.waiting_for_100_continue:
            self._body_start = self._body_last = self._reading.now()
        elif self._continue_sent_to is not cycle:
            self._continue_sent_to = cycle
            self._body_start = self._body_last = self._reading.now()

    def _head_too_slow(self) -> None:
        if self._head_bytes == 0 and self.cycle is None:
            self._phase = _ENDING
            self.transport.close()  # a new connection that never sent a byte: no answer
            return
        self._refuse(408, f"Request timeout: the request line and headers were not complete "
                          f"within {_seconds(self._limits.head_timeout)}.")

    def _body_too_slow(self) -> None:
        """408 unless a response has started, then close; the app's next read gets
        ``http.disconnect``, and what it still sends is dropped."""
        self._phase = _ENDING
        cycle = self.cycle
        if not cycle.response_complete:
            if not cycle.response_started:
                limits = self._limits
                text = (f"Request timeout: the request body arrived too slowly (a pause of "
                        f"over {_seconds(limits.body_timeout)}, or under "
                        f"{limits.min_body_rate:g} bytes per second after the first "
                        f"{_seconds(limits.body_timeout)}).")
                self.transport.write(
                    _final_answer(408, text, self.server_state.default_headers))
            cycle.disconnected = True
            cycle.message_event.set()
        self.transport.close()

    def _refuse(self, status: int, text: str) -> None:
        """Answer a request whose head broke a limit with ``status`` and ``text``, and close.
        While an earlier request's response is under way nothing may be sent before it ends:
        then the connection just closes after it."""
        self._phase = _ENDING
        cycle = self.cycle
        if cycle is not None and not cycle.response_complete:
            cycle.keep_alive = False
            return
        self.transport.write(_final_answer(status, text, self.server_state.default_headers))
        self.transport.close()
