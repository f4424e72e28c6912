"""Warm reads answered by the HTTP protocol itself: the same bytes the ASGI app sends, in order
with everything else on the connection, and nothing answered that the app must see. Each case
runs a real uvicorn server on loopback and talks to it over a socket."""

from __future__ import annotations

import base64
import hashlib
import socket
from pathlib import Path

import pytest
from starlette.applications import Starlette
from tests.functional.server import serving
from tests.readside import Counting, Index

from strongroom.accounts import AccountService
from strongroom.config import Limits
from strongroom.db.base import utcnow
from strongroom.db.engine import Database
from strongroom.domain.access import Caller, Refusal
from strongroom.domain.negotiation import V1_HTML, V1_JSON
from strongroom.domain.principals import Credentials, Principal
from strongroom.projects import ProjectService
from strongroom.tokens import TokenService
from strongroom.web.reads import Reads
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
    plain = Counting(index.app())
    with serving(plain, "httptools") as port:
        expected = [_exchange(port, request, 1)[0] for request in requests]
    outer = Counting(index.app())
    with serving(outer, HttpProtocol) as port:
        for request in requests:  # the first round warms the caches through the app
            assert _exchange(port, request, 1) == [expected[requests.index(request)]]
        calls = outer.calls
        warm = _exchange(port, b"".join(requests), len(requests))  # pipelined, one connection
    assert warm == expected
    assert outer.calls == calls  # none of the warm ones reached the ASGI app


def test_a_revalidation_gets_the_apps_304(index: Index) -> None:
    app = Counting(index.app())
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
    app = Counting(index.app())
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
    app = Counting(index.app())
    with serving(app, HttpProtocol) as port:
        _exchange(port, _get("/simple/alpha/"), 1)  # warm
        calls = app.calls
        answer = _exchange(port, request_bytes, 1)[0]
    assert answer.startswith((b"HTTP/1.1 200 OK", b"HTTP/1.0 200 OK"))
    assert b"connection: close" in answer
    assert app.calls == calls + 1


def test_files_answered_warm_hash_to_their_name(index: Index) -> None:
    file_path = _file_path(index)
    app = Counting(index.app())
    with serving(app, HttpProtocol) as port:
        cold, warm = _exchange(port, _get(file_path) * 2, 2)
    assert cold == warm
    body = warm.split(b"\r\n\r\n", 1)[1]
    assert hashlib.sha256(body).hexdigest() == file_path.split("/")[2] + file_path.split("/")[3] \
        + file_path.split("/")[4]


def _every_read(index: Index) -> list[tuple[bytes, bool]]:
    """One request of every kind of read, and whether its second asking is answered from
    memory (by the protocol's shortcut, under HttpProtocol)."""
    file_path = _file_path(index)
    json_accept = f"Accept: {V1_JSON}"
    return [
        (_get("/simple/"), True),
        (_get("/simple/", json_accept), True),
        (_get("/simple/alpha/"), True),
        (_get("/simple/alpha/", json_accept), True),
        (_get("/simple/alpha/", f"Accept: {V1_HTML}"), True),
        (_get("/simple/alpha/", method="HEAD"), True),
        (_get("/simple/alpha/", "If-None-Match: *"), True),
        (_get(file_path), True),
        (_get(file_path, method="HEAD"), True),
        (_get(file_path, "If-None-Match: *"), True),
        (_get(file_path + ".metadata"), True),
        (_get(file_path, "Range: bytes=2-5"), True),
        (_get(file_path, "Range: bytes=9999-"), True),
        (_get("/pypi/alpha/json"), False),
        (_get("/pypi/Alpha/1.0/json/"), False),
        (_get("/pypi/alpha/json", "If-None-Match: *"), False),
        (_get("/pypi/nope/json"), False),
        (_get("/simple/nope/"), False),
        (_get("/simple/alpha/", "Accept: image/png"), False),
        (_get("/simple/alpha/?format=" + V1_JSON.replace("+", "%2B")), False),
        (_get("/simple/ALPHA/?x=1"), False),
        (_get("/simple"), False),
        (_get("/project/Alpha/1.0/"), False),
        (_get(file_path[:-3] + "zip"), False),
        (_get("/simple/alpha/", "Content-Length: 0", method="POST"), False),
    ]


def test_every_read_is_the_same_bytes_on_every_path(index: Index) -> None:
    """Cold and warm, through plain ASGI under stock uvicorn and through the protocol's
    shortcut: the same status line, headers and body for every kind of read."""
    reads = _every_read(index)
    requests = [request for request, _ in reads]
    plain = Counting(index.app())
    with serving(plain, "httptools") as port:
        cold = [_exchange(port, request, 1)[0] for request in requests]
        warm = [_exchange(port, request, 1)[0] for request in requests]
    assert warm == cold
    fast = Counting(index.app())
    with serving(fast, HttpProtocol) as port:
        assert [_exchange(port, request, 1)[0] for request in requests] == cold
        calls = fast.calls
        assert [_exchange(port, request, 1)[0] for request in requests] == cold
    assert fast.calls - calls == sum(1 for _, from_memory in reads if not from_memory)
    statuses = {answer.split(b" ", 2)[1] for answer in cold}
    assert statuses == {b"200", b"206", b"301", b"302", b"304", b"404", b"405", b"406", b"416"}


class _Switch:
    """A read-access policy that refuses what it is told to, when it is told to."""

    def __init__(self) -> None:
        self.refuse: dict[str | None, Refusal] = {}

    def refusal(self, project: str | None, caller: Caller) -> Refusal | None:
        return self.refuse.get(project)


@pytest.mark.parametrize(("refusal", "status"), [
    (Refusal.UNAUTHENTICATED, b"401"), (Refusal.FORBIDDEN, b"403"), (Refusal.HIDDEN, b"404")])
def test_a_refusing_policy_refuses_what_is_warm(index: Index, refusal: Refusal,
                                               status: bytes) -> None:
    file_path = _file_path(index)  # a file of "beta"
    policy = _Switch()
    app = index.app(access=policy)
    guarded = [_get("/simple/beta/"), _get("/simple/beta/", f"Accept: {V1_JSON}"),
               _get("/simple/beta/", method="HEAD"), _get(file_path),
               _get(file_path + ".metadata"), _get(file_path, "Range: bytes=0-3"),
               _get("/pypi/beta/json"), _get("/pypi/beta/1.0/json")]
    with serving(app, HttpProtocol) as port:
        allowed = [_exchange(port, request, 1)[0] for request in guarded]  # warms every cache
        etags = [next(line.split(b": ", 1)[1].decode() for line in answer.split(b"\r\n")
                      if line.startswith(b"etag: ")) for answer in allowed[:5]]
        revalidations = [request.replace(b"\r\n\r\n", f"\r\nIf-None-Match: {etag}\r\n\r\n"
                                         .encode()) for request, etag in zip(
                                             guarded[:5], etags, strict=True)]
        assert all(_exchange(port, r, 1)[0].startswith(b"HTTP/1.1 304") for r in revalidations)
        policy.refuse["beta"] = refusal
        refused = [_exchange(port, request, 1)[0] for request in guarded + revalidations]
        others = _exchange(port, _get("/simple/alpha/"), 1)[0]
        policy.refuse[None] = refusal
        listing = _exchange(port, _get("/simple/"), 1)[0]
    assert all(answer.split(b" ")[1] == status for answer in refused), refused
    assert not any(b"beta" in answer.split(b"\r\n\r\n", 1)[1] for answer in refused)
    if refusal is Refusal.UNAUTHENTICATED:
        assert all(b'www-authenticate: Basic realm="strongroom"' in a for a in refused)
    assert others.startswith(b"HTTP/1.1 200")
    assert listing.split(b" ")[1] == status


class _SignedIn:
    """A private index: only a caller whose credentials verify may read."""

    def refusal(self, project: str | None, caller: Caller) -> Refusal | None:
        return Refusal.UNAUTHENTICATED if caller.principal() is None else None


def _basic(token: str) -> str:
    return "Authorization: Basic " + base64.b64encode(f"__token__:{token}".encode()).decode()


def test_a_policy_that_asks_who_reads_gets_a_verified_principal(index: Index) -> None:
    AccountService(index.db).create_user("reader", email="reader@example.com",
                                         password="a long enough password")
    tokens = TokenService(index.db)
    now = utcnow()
    token = tokens.create("reader", now=now)
    AccountService(index.db).create_user("other", email="other@example.com",
                                         password="a long enough password")
    # A token limited to a project needs a role on it: "other" owns a new project.
    ProjectService(index.db, Limits(), on_commit=lambda _written: None).create(
        "gamma", owner="other", actor="admin")
    scoped = tokens.create("other", now=now, project="gamma")

    def authenticate(credentials: Credentials, project: str | None) -> Principal:
        return tokens.authenticate(credentials, project=project or "", now=utcnow())

    app = Reads(Starlette(), index.reader, base_url="http://idx.test", access=_SignedIn(),
                authenticate=authenticate)
    with serving(app, HttpProtocol) as port:
        answers = {label: [_exchange(port, _get("/simple/alpha/", *extra), 1)[0].split(b" ")[1]
                           for _ in range(2)]  # cold, then warm
                   for label, extra in [("none", ()), ("valid", (_basic(token),)),
                                        ("forged", (_basic(token[:-4] + "AAAA"),)),
                                        ("scoped elsewhere", (_basic(scoped),)),
                                        ("not a token", ("Authorization: Basic eDp5",))]}
    assert answers == {"none": [b"401", b"401"], "valid": [b"200", b"200"],
                       "forged": [b"401", b"401"], "scoped elsewhere": [b"403", b"403"],
                       "not a token": [b"401", b"401"]}
