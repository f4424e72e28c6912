"""Upload and failed-authentication rate limits: 429 with Retry-After, counted per address and
per credential, shared between workers through Redis, whose every wait is bounded."""

from __future__ import annotations

import asyncio
import socket
import time
from pathlib import Path

import httpx
import pytest
import redis
from limits.storage import MemoryStorage, RedisStorage, Storage
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp
from tests.services import REDIS_URL, redis_client

from strongroom.config import Settings
from strongroom.errors import InvalidInput
from strongroom.web.ratelimit import AddressFailures, RateLimits, open_storage, parse_rate


async def _legacy(request: Request) -> Response:
    ok = request.headers.get("authorization") == "Token good"
    return PlainTextResponse("OK" if ok else "no", status_code=200 if ok else 403)


async def _page(_request: Request) -> Response:
    return PlainTextResponse("page")


class _Client:
    """Requests to one in-process app (one "worker") from the address 127.0.0.1."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    def request(self, method: str, path: str, headers: dict[str, str]) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app, client=("127.0.0.1", 4000))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                return await client.request(method, path, headers=headers)

        return asyncio.run(send())

    def get(self, path: str) -> httpx.Response:
        return self.request("GET", path, {})


def _client(storage: Storage, uploads: str = "3/minute", failures: str = "2/minute"
            ) -> _Client:
    app = Starlette(routes=[Route("/legacy/", _legacy, methods=["POST"]),
                            Route("/simple/", _page)])
    return _Client(RateLimits(app, storage, uploads=parse_rate(uploads, "u"),
                              auth_failures=parse_rate(failures, "f")))


def _post(client: _Client, credential: str = "good") -> httpx.Response:
    return client.request("POST", "/legacy/", {"Authorization": f"Token {credential}"})


def test_uploads_over_the_limit_get_429_with_retry_after() -> None:
    client = _client(MemoryStorage())
    assert [_post(client).status_code for _ in range(3)] == [200, 200, 200]
    refused = _post(client)
    assert refused.status_code == 429
    # The moving window frees its oldest hit within the minute; how soon depends on the clock.
    assert int(refused.headers["Retry-After"]) in range(1, 61)
    assert client.get("/simple/").status_code == 200  # reads are never limited


def test_failed_authentications_lock_out_the_address() -> None:
    client = _client(MemoryStorage(), uploads="100/minute")
    assert [_post(client, "bad").status_code for _ in range(2)] == [403, 403]
    # The budget of failures is spent: even a good token waits now.
    assert _post(client, "good").status_code == 429


def test_off_disables_a_limit() -> None:
    client = _client(MemoryStorage(), uploads="off", failures="off")
    assert {_post(client).status_code for _ in range(10)} == {200}


def test_malformed_rate_is_refused() -> None:
    with pytest.raises(InvalidInput, match="upload_rate"):
        parse_rate("lots", "upload_rate")


def test_workers_share_counters_through_redis(redis_prefix: str) -> None:
    redis_client().close()  # a clear failure when Redis is down
    workers = [_client(RedisStorage(REDIS_URL, key_prefix=redis_prefix)) for _ in range(2)]
    statuses = [_post(workers[i % 2]).status_code for i in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_a_redis_that_never_answers_fails_the_request_within_seconds(tmp_path: Path) -> None:
    """A server that takes the connection and says nothing (a hung Redis): the counters give
    up after their timeout, tried twice, rather than hold a worker thread."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()  # connections complete in the backlog; nothing is ever read or sent
        port = silent.getsockname()[1]
        settings = Settings(data_dir=tmp_path, redis_url=f"redis://127.0.0.1:{port}/0")
        failures = AddressFailures(open_storage(settings), parse_rate("3/minute", "r"),
                                   kind="reads")
        started = time.monotonic()
        with pytest.raises(redis.TimeoutError):
            failures.retry_after("192.0.2.1")
        assert time.monotonic() - started < 4  # two tries of 1 s; redis-py alone waits 5


def test_an_upload_waiting_on_a_hung_redis_stalls_no_other_request(tmp_path: Path) -> None:
    """The upload limiter asks its counters in a worker thread: while one upload waits on a
    Redis that never answers, a page on the same event loop is answered at once."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        port = silent.getsockname()[1]
        settings = Settings(data_dir=tmp_path, redis_url=f"redis://127.0.0.1:{port}/0")
        app = Starlette(routes=[Route("/legacy/", _legacy, methods=["POST"]),
                                Route("/simple/", _page)])
        limited = RateLimits(app, open_storage(settings), uploads=parse_rate("3/minute", "u"),
                             auth_failures=parse_rate("2/minute", "f"))

        async def both() -> tuple[float, int]:
            transport = httpx.ASGITransport(app=limited, client=("127.0.0.1", 4000))
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
                upload = asyncio.create_task(
                    client.post("/legacy/", headers={"Authorization": "Token good"}))
                started = time.monotonic()
                await asyncio.sleep(0.2)  # the upload is waiting on Redis by now
                page = await client.get("/simple/")
                waited = time.monotonic() - started
                with pytest.raises(redis.TimeoutError):
                    await upload
                return waited, page.status_code

        waited, status = asyncio.run(both())
        assert status == 200
        assert waited < 1  # not after the upload's two tries of 1 s
