"""Rate limits, answered with ``429`` and ``Retry-After``: on the upload endpoint, uploads per
client address and per credential and failed authentications per client address
(``RateLimits``); on a private index's reads, failed authentications per client address
(``AddressFailures``, which web/reads.py asks).

Counters live in Redis when a Redis URL is configured (shared by every worker), else in this
process's memory. The limits are ``limits`` strings such as ``"60/minute"`` or
``"20/minute;200/hour"``; an empty string or ``off`` disables one. Every call may wait on Redis
(at most ``_REDIS_TIMEOUT`` per attempt, two attempts), so the read path makes them in a worker
thread; a Redis error propagates, as the change feed's do (index/redis_feed.py).
"""

from __future__ import annotations

import hashlib
import math
import time

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter
from starlette.concurrency import run_in_threadpool
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from strongroom.config import Settings
from strongroom.errors import InvalidInput

UPLOAD_PATHS = frozenset({"/legacy/", "/legacy"})
_AUTH_FAILED = frozenset({401, 403})
# Seconds each connection to Redis, and each command on it, may take (redis-py's own defaults
# wait 5 s and retry ten times); a Redis that slow is down, and the request fails rather than
# hold a worker thread for a minute.
_REDIS_TIMEOUT = 1.0


def parse_rate(text: str, setting: str) -> list[RateLimitItem]:
    """The limits in ``text``; [] for ``""`` or ``off``. Raises InvalidInput when malformed."""
    if text.strip().lower() in ("", "off"):
        return []
    try:
        return parse_many(text)
    except ValueError as exc:
        raise InvalidInput(f"{setting} {text!r}: not a rate such as '60/minute'") from exc


def open_storage(settings: Settings) -> Storage:
    """Redis (shared by all workers) when configured, else memory (this process only)."""
    if settings.redis_url:
        # Only scaled-out deployments load the client.
        from redis import ConnectionPool  # noqa: PLC0415
        from redis.backoff import NoBackoff  # noqa: PLC0415
        from redis.retry import Retry  # noqa: PLC0415

        pool = ConnectionPool.from_url(settings.redis_url, socket_timeout=_REDIS_TIMEOUT,
                                       socket_connect_timeout=_REDIS_TIMEOUT,
                                       retry=Retry(NoBackoff(), 1))
        return RedisStorage(settings.redis_url, connection_pool=pool,
                            key_prefix=f"{settings.redis_prefix}limits")
    return MemoryStorage()


class Throttle:
    """Counts attempts per identifiers (an address, a user name ...) in moving windows."""

    def __init__(self, storage: Storage) -> None:
        self.limiter = MovingWindowRateLimiter(storage)

    def retry_after(self, items: list[RateLimitItem], *identifiers: str) -> int | None:
        """None when within every limit; else seconds until the tightest exhausted one frees."""
        waits = [
            self.limiter.get_window_stats(item, *identifiers).reset_time - time.time()
            for item in items if not self.limiter.test(item, *identifiers)
        ]
        return max(1, math.ceil(max(waits))) if waits else None

    def hit(self, items: list[RateLimitItem], *identifiers: str) -> None:
        """Count one attempt against each limit of ``items``."""
        for item in items:
            self.limiter.hit(item, *identifiers)


class AddressFailures:
    """Failed authentications per client address, against ``items``: a caller asks
    ``retry_after`` before it verifies credentials, and tells ``failed`` when they did not
    verify. Both wait on the storage (Redis: the network), so call them off the event loop."""

    def __init__(self, storage: Storage, items: list[RateLimitItem], *, kind: str) -> None:
        self._throttle = Throttle(storage)
        self._items = items
        self._kind = kind  # counters of one kind of failure apart from others per address

    def retry_after(self, address: str) -> int | None:
        """None while ``address`` is within every limit; else seconds until it is again."""
        return self._throttle.retry_after(self._items, self._kind, address)

    def failed(self, address: str) -> int | None:
        """Count one failure of ``address``. None when it was within every limit; else the
        seconds until it is again (the failure past a limit is not counted against it)."""
        limiter = self._throttle.limiter
        exhausted = [item for item in self._items if not limiter.hit(item, self._kind, address)]
        return self._throttle.retry_after(exhausted, self._kind, address) if exhausted else None


class RateLimits:
    """ASGI middleware limiting ``POST /legacy/``; every other request passes untouched."""

    def __init__(self, app: ASGIApp, storage: Storage, *, uploads: list[RateLimitItem],
                 auth_failures: list[RateLimitItem]) -> None:
        self.app = app
        self.throttle = Throttle(storage)
        self.uploads = uploads
        self.auth_failures = auth_failures

    def _admit(self, checks: list[tuple[list[RateLimitItem], tuple[str, str]]], address: str,
               credential: str) -> PlainTextResponse | None:
        """The 429 of the first exhausted limit; else None, and the upload is counted."""
        for items, identifiers in checks:
            wait = self.throttle.retry_after(items, *identifiers)
            if wait is not None:
                message = f"Too many requests ({identifiers[0]}); retry in {wait} s."
                return PlainTextResponse(f"429 {message}\n", status_code=429,
                                         headers={"Retry-After": str(wait)})
        self.throttle.hit(self.uploads, "uploads-address", address)
        self.throttle.hit(self.uploads, "uploads-credential", credential)
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        limited = scope["type"] == "http" and scope["method"] == "POST"
        if not limited or scope["path"] not in UPLOAD_PATHS:
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        address = client[0] if client else "unknown"
        headers = dict(scope["headers"])
        credential = hashlib.sha256(headers.get(b"authorization", b"")).hexdigest()[:32]
        checks = [(self.auth_failures, ("auth-failures", address)),
                  (self.uploads, ("uploads-address", address)),
                  (self.uploads, ("uploads-credential", credential))]
        # The counters may be in Redis: every call waits in a worker thread, never on the
        # event loop, so a slow Redis delays this upload and no one else's request.
        refusal = await run_in_threadpool(self._admit, checks, address, credential)
        if refusal is not None:
            await refusal(scope, receive, send)
            return

        async def watch(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in _AUTH_FAILED:
                await run_in_threadpool(self.throttle.hit, self.auth_failures, "auth-failures",
                                        address)
            await send(message)

        await self.app(scope, receive, watch)

