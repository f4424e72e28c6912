"""Each OIDC token is exchanged once: its replay key (verify.py) is kept until the token
expires, and a second exchange finds it. ``ReplayGuard`` is the seam: ``DatabaseReplayGuard``
keeps the keys in a table, in the minting transaction itself (writers are serialised, so a
look-up then an insert cannot race), pruning expired keys as it goes; ``RedisReplayGuard`` sets
a Redis key with NX and an expiry, one atomic step shared by every worker. Keys are kept 30
seconds past the token's expiry: the verifier's leeway still accepts it that long.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from sqlalchemy import Connection, bindparam, delete, select

from strongroom.config import Settings
from strongroom.db.statements import Prepared, execute, first, insert_values
from strongroom.errors import Unavailable
from strongroom.oidc.models import UsedOidcToken
from strongroom.oidc.verify import LEEWAY


class ReplayGuard(Protocol):
    """Remembers exchanged tokens."""

    def first_use(self, connection: Connection, key: str, *, expires: dt.datetime,
                  now: dt.datetime) -> bool:
        """Whether ``key`` is seen for the first time (and now remembered until
        ``expires``); ``connection`` is the minting write transaction."""
        ...


_PRUNE = Prepared(delete(UsedOidcToken).where(UsedOidcToken.expires < bindparam("now")))
_SEEN = Prepared(select(UsedOidcToken.key).where(UsedOidcToken.key == bindparam("key")))
_REMEMBER = Prepared(insert_values(UsedOidcToken, "key", "expires"))


class DatabaseReplayGuard:
    """Keys in the ``oidc_used_tokens`` table."""

    def first_use(self, connection: Connection, key: str, *, expires: dt.datetime,
                  now: dt.datetime) -> bool:
        execute(connection, _PRUNE, {"now": now})
        if first(connection, _SEEN, {"key": key}) is not None:
            return False
        execute(connection, _REMEMBER, {"key": key, "expires": expires + LEEWAY})
        return True


class RedisReplayGuard:
    """Keys in Redis under ``<prefix>oidc-jti:``; ``client`` is a ``redis.Redis``. Redis being
    unreachable makes a mint fail as Unavailable (try again), never pass unchecked."""

    def __init__(self, client: Any, prefix: str) -> None:
        self._client = client
        self._prefix = f"{prefix}oidc-jti:"

    def first_use(self, connection: Connection, key: str, *, expires: dt.datetime,
                  now: dt.datetime) -> bool:
        import redis  # noqa: PLC0415  (only scaled-out deployments load the client)

        until = max(expires + LEEWAY, now + dt.timedelta(seconds=1))
        try:
            return bool(self._client.set(self._prefix + key, b"1", nx=True,
                                         pxat=int(until.timestamp() * 1000)))
        except redis.RedisError as exc:
            raise Unavailable("the index could not check the token against those already "
                              "used (its Redis is unreachable); try again") from exc


def open_replay_guard(settings: Settings) -> ReplayGuard:
    """Redis's guard when ``redis_url`` is set (workers on several machines share it), else
    the database's."""
    if settings.redis_url:
        import redis  # noqa: PLC0415  (only scaled-out deployments load the client)

        return RedisReplayGuard(redis.Redis.from_url(settings.redis_url), settings.redis_prefix)
    return DatabaseReplayGuard()
