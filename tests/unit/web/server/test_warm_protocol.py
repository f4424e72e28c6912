"""Warm reads answered by the HTTP protocol itself: the same bytes the ASGI app sends, in order
with everything else on the connection, and nothing answered that the app must see. Each case
runs a real uvicorn server on loopback and talks to it over a socket."""

from __future__ import annotations

import hashlib
import socket
from pathlib import Path

import pytest
from starlette.applications import Starlette
from tests.functional.server import serving
from tests.readside import Counting, Index

from strongroom.db.engine import Database
from strongroom.domain.negotiation import V1_JSON
from strongroom.web.fastpath import FastReads
from strongroom.web.server.protocol import HttpProtocol


@pytest.fixture
def index(database: Database, tmp_path: Path) -> Index:
    built = Index(database, tmp_path)
    built.release("Alpha", "1.0")
    return built


def _exchange(port: int, raw: bytes, responses: int) -> list[bytes]:
    """Send ``raw`` (one or more requests) on one connection; the ``responses`` read back,
    each whole, with its Date header taken out (it is the only part that changes)."""
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.sendall(raw)
        buffer, answers = b"", []
        while len(answers) < responses:
            while b"\r\n\r\n" not in buffer:
                chunk = sock.recv(65536)
                assert chunk, f"connection closed after {len(answers)} responses"
                buffer += chunk
            head, _, buffer = buffer.partition(b"\r\n\r\n")
            lines = head.split(b"\r\n")
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(b": ")
                if name == b"content-length" and not lines[0].startswith(b"HTTP/1.1 304"):
                    length = int(value)
            if raw.split(b"\r\n\r\n")[len(answers)].startswith(b"HEAD"):
                length = 0
            while len(buffer) < length:
                chunk = sock.recv(65536)
                assert chunk
                buffer += chunk
            body, buffer = buffer[:length], buffer[length:]
            kept = [line for line in lines if not line.startswith(b"date: ")]
            answers.append(b"\r\n".join(kept) + b"\r\n\r\n" + body)
    return answers


def _get(path: str, *headers: str, method: str = "GET", version: str = "1.1") -> bytes:
    lines = [f"{method} {path} HTTP/{version}", "Host: idx.test", *headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _file_path(index: Index) -> str:
    sha, _ = index.release("Beta", "1.0")
    return f"/packages/{sha[:2]}/{sha[2:4]}/{sha[4:]}/beta-1.0-py3-none-any.whl"


def test_warm_answers_are_the_apps_bytes_and_skip_the_app(index: Index) -> None:
    file_path = _file_path(index)
    requests = [_get("/simple/alpha/"), _get("/simple/alpha/", f"Accept: {V1_JSON}"),
                _get("/simple/"), _get("/simple/alpha/", method="HEAD"), _get(file_path),
                _get(file_path + ".metadata")]
    plain = Counting(FastReads(Starlette(routes=index.routes()), index.reader))
    with serving(plain, "httptools") as port:
        expected = [_exchange(port, request, 1)[0] for request in requests]
    outer = Counting(FastReads(Starlette(routes=index.routes()), index.reader))
    with serving(outer, HttpProtocol) as port:
        for request in requests:  # the first round warms the caches through the app
            assert _exchange(port, request, 1) == [expected[requests.index(request)]]
        calls = outer.calls
        warm = _exchange(port, b"".join(requests), len(requests))  # pipelined, one connection
    assert warm == expected
    assert outer.calls == calls  # none of the warm ones reached the ASGI app


def test_a_revalidation_gets_the_apps_304(index: Index) -> None:
    app = Counting(FastReads(Starlette(routes=index.routes()), index.reader))
    with serving(app, HttpProtocol) as port:
        first = _exchange(port, _get("/simple/alpha/"), 1)[0]
        etag = next(line.split(b": ", 1)[1] for line in first.split(b"\r\n")
                    if line.startswith(b"etag: "))
        calls = app.calls
        again = _exchange(port, _get("/simple/alpha/", f"If-None-Match: {etag.decode()}"), 1)[0]
    assert again.startswith(b"HTTP/1.1 304 ")
    assert again.endswith(b"\r\n\r\n")
    assert b"content-length" not in again
    assert app.calls == calls


def test_what_only_the_app_can_answer_still_reaches_it_in_order(index: Index) -> None:
    app = Counting(FastReads(Starlette(routes=index.routes()), index.reader))
    with serving(app, HttpProtocol) as port:
        _exchange(port, _get("/simple/alpha/"), 1)  # warm
        calls = app.calls
        # A redirect, a query string, a miss and a warm page, pipelined on one connection.
        answers = _exchange(port, _get("/simple/Alpha/") + _get("/simple/alpha/?format=x")
                            + _get("/simple/nope/") + _get("/simple/alpha/"), 4)
    assert [a.split(b"\r\n", 1)[0] for a in answers] == [
        b"HTTP/1.1 301 Moved Permanently", b"HTTP/1.1 406 Not Acceptable",
        b"HTTP/1.1 404 Not Found", b"HTTP/1.1 200 OK"]
    # The first three reached the app; the last came after them, from the protocol or the app.
    assert app.calls - calls in (3, 4)


@pytest.mark.parametrize("request_bytes", [
    _get("/simple/alpha/", version="1.0"),
    _get("/simple/alpha/", "Connection: close"),
])
def test_a_request_that_closes_the_connection_goes_to_the_app(index: Index,
                                                              request_bytes: bytes) -> None:
    app = Counting(FastReads(Starlette(routes=index.routes()), index.reader))
    with serving(app, HttpProtocol) as port:
        _exchange(port, _get("/simple/alpha/"), 1)  # warm
        calls = app.calls
        answer = _exchange(port, request_bytes, 1)[0]
    assert answer.startswith((b"HTTP/1.1 200 OK", b"HTTP/1.0 200 OK"))
    assert b"connection: close" in answer
    assert app.calls == calls + 1


def test_files_answered_warm_hash_to_their_name(index: Index) -> None:
    file_path = _file_path(index)
    app = Counting(FastReads(Starlette(routes=index.routes()), index.reader))
    with serving(app, HttpProtocol) as port:
        cold, warm = _exchange(port, _get(file_path) * 2, 2)
    assert cold == warm
    body = warm.split(b"\r\n\r\n", 1)[1]
    assert hashlib.sha256(body).hexdigest() == file_path.split("/")[2] + file_path.split("/")[3] \
        + file_path.split("/")[4]
