"""The connection limits where uvicorn's own behaviour meets them: time the server is not
reading is not held against a client, nothing is sent in the middle of another response, and an
app that carries no limits gets the defaults. Each case runs a real uvicorn server with
Strongroom's protocol on loopback and talks to it over a socket."""

from __future__ import annotations

import asyncio
import socket
import time

import pytest
from starlette.types import Receive, Scope, Send
from tests.functional.server import serving

from strongroom.config import ConnectionLimits
from strongroom.web.server.protocol import HttpProtocol

LIMITS = ConnectionLimits(head_timeout=0.5, body_timeout=0.5, min_body_rate=1000,
                          send_timeout=0.5)
HOLD = 1.5  # seconds the app waits before it reads or answers: three times every timeout


class App:
    """Reads the whole body and answers its length; on ``/hold`` only after ``HOLD`` seconds."""

    def __init__(self, limits: ConnectionLimits | None) -> None:
        if limits is not None:
            self.connection_limits = limits

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == "/hold":
            await asyncio.sleep(HOLD)
        elif scope["path"] == "/read-before-a-tick":
            # Just before the body timer's third look (0.5 s apart from the head's end).
            await asyncio.sleep(HOLD - 0.05)
        length, more = 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            length += len(message.get("body", b""))
            more = message.get("more_body", False)
        body = str(length).encode()
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})


def _all_until_closed(sock: socket.socket) -> bytes:
    sock.settimeout(HOLD + 5)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def _post(path: str, length: int, *headers: str) -> bytes:
    return "\r\n".join([f"POST {path} HTTP/1.1", "Host: x", f"Content-Length: {length}",
                        "Connection: close", *headers, "", ""]).encode()


def test_a_body_the_app_is_not_reading_yet_is_not_held_against_the_client() -> None:
    body = b"b" * 300_000  # beyond what uvicorn buffers before it stops reading
    with serving(App(LIMITS), HttpProtocol) as port, \
            socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(HOLD + 5)
        sock.sendall(_post("/hold", len(body)) + body)
        answer = _all_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:300]
    assert answer.endswith(b"\r\n\r\n300000")


@pytest.mark.parametrize("path", ["/hold", "/read-before-a-tick"])
def test_a_client_waiting_for_100_continue_is_not_held_to_the_body_deadline(path: str) -> None:
    """The body's clock starts when the "100 Continue" goes out, however close to the timer's
    next look the app's first read sends it: the client then has a whole ``body_timeout``."""
    with serving(App(LIMITS), HttpProtocol) as port, \
            socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(HOLD + 5)
        sock.sendall(_post(path, 5, "Expect: 100-continue"))
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        time.sleep(LIMITS.body_timeout * 0.6)
        sock.sendall(b"hello")
        answer = _all_until_closed(sock)
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:300]
    assert answer.endswith(b"\r\n\r\n5")


def test_a_client_that_sends_nothing_after_100_continue_is_timed_out() -> None:
    with serving(App(LIMITS), HttpProtocol) as port, \
            socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(HOLD + 5)
        sock.sendall(_post("/hold", 5, "Expect: 100-continue"))
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sent = time.monotonic()
        answer = _all_until_closed(sock)
    waited = time.monotonic() - sent
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:300]
    # At most one more body_timeout than the limit itself (when the 100 went out is only
    # known to the timer's next look), and never less than the limit.
    assert LIMITS.body_timeout - 0.1 <= waited <= 2 * LIMITS.body_timeout + 0.3


def test_a_head_late_behind_a_response_under_way_ends_the_connection_after_it() -> None:
    with serving(App(LIMITS), HttpProtocol) as port, \
            socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(b"GET /hold HTTP/1.1\r\nHost: x\r\n\r\nGET /next HTTP/1.1\r\nHo")
        started = time.monotonic()
        answer = _all_until_closed(sock)
    # The late head is not answered in the middle of, or after, the held response.
    assert time.monotonic() - started >= HOLD - 0.1
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert b"\r\nconnection: close" in head
    assert body == b"0"


def _head_of(size: int) -> bytes:
    """A GET whose head, blank line included, is ``size`` bytes."""
    bare = b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Padding: \r\n\r\n"
    return bare[:-4] + b"p" * (size - len(bare)) + b"\r\n\r\n"


def test_an_app_without_limits_gets_the_defaults() -> None:
    largest = ConnectionLimits().max_header_bytes
    with serving(App(None), HttpProtocol) as port:
        for size, status in ((largest, b"200"), (largest + 1, b"431")):
            with socket.create_connection(("127.0.0.1", port)) as sock:
                sock.sendall(_head_of(size))
                answer = _all_until_closed(sock)
            assert answer.startswith(b"HTTP/1.1 " + status + b" "), answer[:300]
