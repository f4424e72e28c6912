"""Slow and oversized clients, sent over raw sockets to a live ``strongroom serve`` started with
small limits: each is answered or cut off in time, in plain text, and an ordinary client is
served while hundreds of them are open. No test may leave a traceback in the server's log.

Bounds: each deadline plus ``SLACK`` (a busy two-core machine runs late, never early), and a
floor just under the deadline where being cut off too early would be a fault too.
"""

from __future__ import annotations

import base64
import hashlib
import os
import selectors
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.builders import make_wheel
from tests.databases import BACKENDS
from tests.functional.server import (
    STRONGROOM,
    LiveIndex,
    free_port,
    running_index,
    stop_process,
    wait_until_serving,
)
from tests.functional.uploads import post_upload

pytestmark = pytest.mark.functional

HEAD_TIMEOUT = BODY_TIMEOUT = SEND_TIMEOUT = KEEP_ALIVE_TIMEOUT = 1.0
MIN_BODY_RATE = 10.0  # bytes/s
MAX_REQUEST_LINE = 4096
MAX_HEADER_BYTES = 16384
LIMITS = {
    "STRONGROOM_HEAD_TIMEOUT": str(HEAD_TIMEOUT),
    "STRONGROOM_BODY_TIMEOUT": str(BODY_TIMEOUT),
    "STRONGROOM_MIN_BODY_RATE": str(MIN_BODY_RATE),
    "STRONGROOM_SEND_TIMEOUT": str(SEND_TIMEOUT),
    "STRONGROOM_KEEP_ALIVE_TIMEOUT": str(KEEP_ALIVE_TIMEOUT),
    "STRONGROOM_MAX_REQUEST_LINE": str(MAX_REQUEST_LINE),
    "STRONGROOM_MAX_HEADER_BYTES": str(MAX_HEADER_BYTES),
    "STRONGROOM_MAX_CONNECTIONS": "400",
}
CAP = 20
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
SLACK = 1.5  # seconds
EARLY = 0.1  # seconds a deadline may seem to come early: the client's clock starts first
# Any token passes the upload endpoint's first look, so it reads the body.
AUTHORIZATION = "Basic " + base64.b64encode(b"__token__:pypi-anything").decode()
FORM_START = b'--b\r\nContent-Disposition: form-data; name="comment"\r\n\r\n'


@pytest.fixture(scope="module", params=BACKENDS)
def limited(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
            ) -> Iterator[LiveIndex]:
    """An index serving with the small ``LIMITS``, answering warm reads in its protocol."""
    root = tmp_path_factory.mktemp(f"limited-{request.param}")
    with running_index(request.param, root, extra_env=LIMITS, access_log=False) as live:
        yield live


@pytest.fixture(scope="module", params=BACKENDS)
def capped(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[LiveIndex]:
    """An index that accepts ``CAP`` connections at a time."""
    root = tmp_path_factory.mktemp(f"capped-{request.param}")
    env = {**LIMITS, "STRONGROOM_MAX_CONNECTIONS": str(CAP)}
    with running_index(request.param, root, extra_env=env, access_log=False) as live:
        yield live


@pytest.fixture(autouse=True)
def _no_traceback(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    for name in ("limited", "capped"):
        if name in request.fixturenames:
            log = request.getfixturevalue(name).log()
            assert "Traceback" not in log, log


def _connect(index: LiveIndex, *, receive_buffer: int | None = None) -> socket.socket:
    sock = socket.socket()
    if receive_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
    sock.settimeout(10)
    sock.connect(("127.0.0.1", index.port))
    return sock


def _until_closed(sock: socket.socket, since: float, within: float) -> tuple[bytes, float]:
    """Everything the server sends until it ends the connection (a reset ends it too), and the
    seconds from ``since`` until then; fails if it is still open ``within`` seconds after."""
    received = b""
    while (remaining := since + within - time.monotonic()) > 0:
        sock.settimeout(remaining)
        try:
            chunk = sock.recv(65536)
        except TimeoutError:
            break
        except ConnectionResetError:
            return received, time.monotonic() - since
        if not chunk:
            return received, time.monotonic() - since
        received += chunk
    raise AssertionError(f"still open after {within} s; received {received[:300]!r}")


def _read_response(sock: socket.socket) -> bytes:
    """One whole response with a Content-Length, from a connection that stays open."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(int(line.split(b":")[1]) for line in head.split(b"\r\n")
                  if line.lower().startswith(b"content-length:"))
    while len(body) < length:
        body += sock.recv(65536)
    return head + b"\r\n\r\n" + body


def _assert_final(answer: bytes, status: int, text: str) -> None:
    """``answer`` is a plain-text ``status`` response ending the connection, naming ``text``."""
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").lower().split("\r\n")
    assert lines[0].startswith(f"http/1.1 {status} "), answer[:300]
    assert "connection: close" in lines, head
    assert "content-type: text/plain; charset=utf-8" in lines, head
    assert text in body.decode(), body
    assert f"content-length: {len(body)}" in lines, answer


def _upload_head(length: int) -> bytes:
    return (f"POST /legacy/ HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTHORIZATION}\r\n"
            f"Content-Type: multipart/form-data; boundary=b\r\nContent-Length: {length}\r\n"
            "\r\n").encode()


def _get(target: str, *headers: str) -> bytes:
    return "\r\n".join([f"GET {target} HTTP/1.1", "Host: x", *headers, "", ""]).encode()


def test_a_connection_that_sends_nothing_is_closed_without_an_answer(limited: LiveIndex
                                                                     ) -> None:
    start = time.monotonic()
    with _connect(limited) as sock:
        answer, took = _until_closed(sock, start, HEAD_TIMEOUT + SLACK)
    assert answer == b""
    assert took >= HEAD_TIMEOUT - EARLY


@pytest.mark.parametrize("partial", [
    b"GET /simple/some-proj",
    b"GET /simple/ HTTP/1.1\r\nHost: x\r\nAccept: text/ht",
], ids=["request line", "headers"])
def test_a_partial_head_gets_408(limited: LiveIndex, partial: bytes) -> None:
    start = time.monotonic()
    with _connect(limited) as sock:
        sock.sendall(partial)
        answer, took = _until_closed(sock, start, HEAD_TIMEOUT + SLACK)
    _assert_final(answer, 408, "not complete within 1 second")
    assert took >= HEAD_TIMEOUT - EARLY


def test_a_head_sent_a_byte_at_a_time_gets_408_at_its_deadline(limited: LiveIndex) -> None:
    head = iter(_get("/simple/", "Accept: text/html", "User-Agent: " + "x" * 100))
    start = time.monotonic()
    with _connect(limited) as sock, selectors.DefaultSelector() as readable:
        readable.register(sock, selectors.EVENT_READ)
        while not readable.select(timeout=0.2):
            assert time.monotonic() - start < HEAD_TIMEOUT + SLACK, "never cut off"
            sock.sendall(bytes([next(head)]))
        answer, took = _until_closed(sock, start, HEAD_TIMEOUT + SLACK)
    _assert_final(answer, 408, "Request timeout")
    assert took >= HEAD_TIMEOUT - EARLY


def test_a_kept_alive_connection_is_closed_after_the_keep_alive_timeout(limited: LiveIndex
                                                                        ) -> None:
    with _connect(limited) as sock:
        sock.sendall(_get("/simple/"))
        assert _read_response(sock).startswith(b"HTTP/1.1 200 ")
        idle = time.monotonic()
        answer, took = _until_closed(sock, idle, KEEP_ALIVE_TIMEOUT + SLACK)
    assert answer == b""
    assert took >= KEEP_ALIVE_TIMEOUT - EARLY


def test_each_later_request_has_its_own_head_deadline(limited: LiveIndex) -> None:
    with _connect(limited) as sock:
        sock.sendall(_get("/simple/"))
        assert _read_response(sock).startswith(b"HTTP/1.1 200 ")
        time.sleep(KEEP_ALIVE_TIMEOUT / 2)
        begun = time.monotonic()
        sock.sendall(b"GET /simple/ HTTP/1.1\r\nHo")
        answer, took = _until_closed(sock, begun, HEAD_TIMEOUT + SLACK)
    _assert_final(answer, 408, "Request timeout")
    assert took >= HEAD_TIMEOUT - EARLY


def test_a_body_shorter_than_its_content_length_gets_408(limited: LiveIndex) -> None:
    with _connect(limited) as sock:
        sock.sendall(_upload_head(1000) + FORM_START)
        sent = time.monotonic()
        answer, took = _until_closed(sock, sent, BODY_TIMEOUT + SLACK)
    _assert_final(answer, 408, "the request body arrived too slowly")
    assert took >= BODY_TIMEOUT - EARLY


def test_a_body_sent_a_byte_every_half_second_is_cut_off_at_the_minimum_rate(
        limited: LiveIndex) -> None:
    # 2 bytes/s never pauses for BODY_TIMEOUT, but averages under MIN_BODY_RATE: the body is
    # late when t = BODY_TIMEOUT + 2 t / MIN_BODY_RATE.
    bound = BODY_TIMEOUT / (1 - 2 / MIN_BODY_RATE)
    with _connect(limited) as sock, selectors.DefaultSelector() as readable:
        readable.register(sock, selectors.EVENT_READ)
        sock.sendall(_upload_head(1000) + FORM_START)
        started = time.monotonic()
        while not readable.select(timeout=0.5):
            assert time.monotonic() - started < bound + SLACK, "never cut off"
            sock.sendall(b"x")
        answer, took = _until_closed(sock, started, bound + SLACK)
    _assert_final(answer, 408, "under 10 bytes per second")
    assert took >= BODY_TIMEOUT - EARLY


def test_a_request_target_over_the_limit_gets_414(limited: LiveIndex) -> None:
    prefix = "/simple/"
    longest = prefix + "a" * (MAX_REQUEST_LINE - len(prefix) - 1) + "/"
    with _connect(limited) as sock:
        sock.sendall(_get(longest))
        assert _read_response(sock).startswith(b"HTTP/1.1 404 ")
    with _connect(limited) as sock:
        sock.sendall(_get(longest + "b"))
        answer, _ = _until_closed(sock, time.monotonic(), SLACK)
    _assert_final(answer, 414, f"more than {MAX_REQUEST_LINE} bytes")


def _head_of(size: int) -> bytes:
    """A GET whose request line and headers, with the blank line after them, are ``size``
    bytes."""
    bare = _get("/simple/", "X-Padding: ")
    return _get("/simple/", "X-Padding: " + "p" * (size - len(bare)))


def test_a_head_over_the_limit_gets_431(limited: LiveIndex) -> None:
    with _connect(limited) as sock:
        sock.sendall(_head_of(MAX_HEADER_BYTES))
        assert _read_response(sock).startswith(b"HTTP/1.1 200 ")
    with _connect(limited) as sock:
        sock.sendall(_head_of(MAX_HEADER_BYTES + 1))
        answer, _ = _until_closed(sock, time.monotonic(), SLACK)
    _assert_final(answer, 431, f"more than {MAX_HEADER_BYTES} bytes")


def test_a_10_mb_header_is_refused_before_it_is_all_sent(limited: LiveIndex) -> None:
    chunk = b"a" * 65536
    whole = 10 * 1024 * 1024
    sent = 0
    with _connect(limited) as sock:
        try:
            sock.sendall(b"GET /simple/ HTTP/1.1\r\nHost: x\r\nX-Big: ")
            while sent < whole:
                sock.sendall(chunk)
                sent += len(chunk)
        except (ConnectionResetError, BrokenPipeError):
            pass  # the server answered and closed while this was still sending
        answer, _ = _until_closed(sock, time.monotonic(), SLACK)
    _assert_final(answer, 431, f"more than {MAX_HEADER_BYTES} bytes")
    assert sent < whole


def test_a_client_that_does_not_read_is_cut_off_after_send_timeout(limited: LiveIndex,
                                                                    tmp_path: Path) -> None:
    limited.create_user("reader")
    token = limited.token("reader")
    # Larger than what the kernels on both ends buffer, so the server must wait to write.
    payload = os.urandom(12 * 1024 * 1024)
    wheel = make_wheel(tmp_path, "slow-reader", "1.0", extra_files={"slow_reader/blob": payload},
                       compression=zipfile.ZIP_STORED)
    data = wheel.read_bytes()
    fields = {":action": "file_upload", "protocol_version": "1", "name": "slow-reader",
              "version": "1.0", "filetype": "bdist_wheel", "pyversion": "py3",
              "sha256_digest": hashlib.sha256(data).hexdigest()}
    assert post_upload(limited.url, token, wheel.name, data, fields).status_code == 200
    url = httpx.get(f"{limited.url}/pypi/slow-reader/json").json()["urls"][0]["url"]
    path = httpx.URL(url).raw_path.decode()
    with _connect(limited, receive_buffer=4096) as sock:
        sock.sendall(_get(path))
        time.sleep(SEND_TIMEOUT + SLACK)
        received, _ = _until_closed(sock, time.monotonic(), SLACK)
    assert received.startswith(b"HTTP/1.1 200 ")
    assert len(received) < len(data)


def test_a_connection_over_the_cap_gets_503_and_takes_no_slot(capped: LiveIndex) -> None:
    time.sleep(0.2)  # the fixture's own requests' connections close
    with ExitStack() as stack:
        held = [stack.enter_context(_connect(capped)) for _ in range(CAP)]
        opened = time.monotonic()
        for _ in range(2):
            with _connect(capped) as turned_away:
                answer, _ = _until_closed(turned_away, time.monotonic(), SLACK)
            _assert_final(answer, 503, f"already has {CAP} connections open")
            assert b"\r\nretry-after: " in answer.lower()
        for sock in held:
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):
                sock.recv(1)  # still open, not answered
        for sock in held:
            assert _until_closed(sock, opened, HEAD_TIMEOUT + SLACK)[0] == b""
    response = httpx.get(f"{capped.url}/simple/", timeout=5)
    assert response.status_code == 200


@dataclass
class _SlowClient:
    """One connection of the crowd: what it drips, how often, and by when it must be ended."""

    sock: socket.socket
    opened: float
    bound: float  # seconds after opening
    drip: bytes = b""
    interval: float = 0.0
    due: float = 0.0
    closed: float | None = None
    answer: bytes = b""


DRIP_INTERVAL = 0.3  # seconds: 3.3 bytes/s, under MIN_BODY_RATE but never a long pause
# What each kind sends at once, what it drips, and how long it may stay open.
KINDS = [
    (b"", b"", HEAD_TIMEOUT),  # idle
    (b"GET /simple/some-proj", b"", HEAD_TIMEOUT),  # partial request line
    (b"GET /simple/ HTTP/1.1\r\nHost: x\r\n", b"", HEAD_TIMEOUT),  # partial headers
    (b"GET /simple/ HTTP/1.1\r\n", b"X-Drip: " + b"d" * 1000, HEAD_TIMEOUT),  # dripped head
    (_upload_head(100_000) + FORM_START, b"", BODY_TIMEOUT),  # body stopped short
    (_upload_head(100_000) + FORM_START, b"x" * 1000,  # dripped body
     BODY_TIMEOUT / (1 - 1 / DRIP_INTERVAL / MIN_BODY_RATE)),
    (_head_of(MAX_HEADER_BYTES + 1000), b"", 0.0),  # head too large
]


def _crowd(index: LiveIndex, stack: ExitStack, count: int) -> list[_SlowClient]:
    """``count`` slow connections, of every kind in turn."""
    clients = []
    for number in range(count):
        first, drip, bound = KINDS[number % len(KINDS)]
        sock = stack.enter_context(_connect(index))
        opened = time.monotonic()
        sock.sendall(first)
        clients.append(_SlowClient(sock, opened, bound, drip, DRIP_INTERVAL,
                                   opened + DRIP_INTERVAL))
    return clients


def _drive(clients: list[_SlowClient], until: float) -> None:
    """Drip what each client drips on time, and note when the server ends each connection."""
    with selectors.DefaultSelector() as selector:
        for client in clients:
            if client.closed is None:
                selector.register(client.sock, selectors.EVENT_READ, client)
        while any(c.closed is None for c in clients) and time.monotonic() < until:
            now = time.monotonic()
            for client in clients:
                if client.closed is None and client.drip and client.due <= now:
                    try:
                        client.sock.sendall(client.drip[:1])
                    except (BrokenPipeError, ConnectionResetError):
                        client.drip = b""  # ended by the server; the selector will tell
                    client.drip, client.due = client.drip[1:], now + client.interval
            for key, _ in selector.select(timeout=0.05):
                client = key.data
                try:
                    chunk = client.sock.recv(65536)
                except ConnectionResetError:
                    chunk = b""
                client.answer += chunk
                if not chunk:
                    client.closed = time.monotonic()
                    selector.unregister(client.sock)


@pytest.mark.alone  # its one-second bound is on the server, not on other tests' load
def test_an_ordinary_client_is_served_while_hundreds_of_slow_ones_are_open(
        limited: LiveIndex) -> None:
    with ExitStack() as stack, httpx.Client(base_url=limited.url, timeout=5) as ordinary:
        assert ordinary.get("/simple/").status_code == 200
        clients = _crowd(limited, stack, 210)
        for _ in range(3):
            asked = time.monotonic()
            assert ordinary.get("/simple/").status_code == 200
            assert time.monotonic() - asked < 1.0
            _drive(clients, time.monotonic() + 0.2)
        _drive(clients, max(c.opened + c.bound for c in clients) + SLACK)
    late = [(c.answer[:60], c.closed and c.closed - c.opened, c.bound) for c in clients
            if c.closed is None or c.closed - c.opened > c.bound + SLACK]
    assert not late, late
    for client in clients:
        assert client.answer == b"" or client.answer.startswith(
            (b"HTTP/1.1 408 ", b"HTTP/1.1 431 ")), client.answer[:300]


@pytest.mark.parametrize("started_by", ["serve --workers 2", "gunicorn"])
def test_the_limits_hold_however_the_server_is_started(started_by: str, tmp_path: Path) -> None:
    # How the protocol finds its limits does not depend on the database: SQLite only.
    port = free_port()
    env = {**os.environ, **LIMITS, "STRONGROOM_DATA_DIR": str(tmp_path / "data"),
           "STRONGROOM_DATABASE_URL": f"sqlite:///{tmp_path / 'strongroom.sqlite3'}"}
    if started_by == "gunicorn":
        command = [str(Path(sys.executable).parent / "gunicorn"), "-c",
                   str(DEPLOY / "gunicorn.conf.py")]
        env |= {"STRONGROOM_BIND": f"127.0.0.1:{port}", "STRONGROOM_WORKERS": "2"}
    else:
        command = [*STRONGROOM, "serve", "--port", str(port), "--workers", "2"]
    log = tmp_path / "server.log"
    with log.open("ab") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
    live = LiveIndex(tmp_path / "data", env["STRONGROOM_DATABASE_URL"], port, log)
    try:
        wait_until_serving(live.url, process, log, timeout=60)
        with ExitStack() as stack:
            partial = [stack.enter_context(_connect(live)) for _ in range(6)]
            started = time.monotonic()
            for sock in partial:
                sock.sendall(b"GET /simple/ HTTP/1.1\r\nHost: x\r\n")
            with _connect(live) as sock:
                sock.sendall(_get("/" + "a" * MAX_REQUEST_LINE))
                _assert_final(_until_closed(sock, time.monotonic(), SLACK)[0], 414,
                              f"more than {MAX_REQUEST_LINE} bytes")
            for sock in partial:
                answer, took = _until_closed(sock, started, HEAD_TIMEOUT + SLACK)
                _assert_final(answer, 408, "not complete within 1 second")
                assert took >= HEAD_TIMEOUT - EARLY
    finally:
        stop_process(process)
    assert "Traceback" not in log.read_text(), log.read_text()
