"""What happens after a write commits: the change feed moves, then caches in front are purged.

``open_change_feed(settings)`` picks the feed (Redis when a Redis URL is set, else a file in the
data directory); ``CommitHook`` is the ``on_commit(written)`` callable writers are given.
"""

from __future__ import annotations

from strongroom.config import Settings
from strongroom.db.journal import Written
from strongroom.index.changes import ChangeFeed, FileChangeFeed
from strongroom.index.purge import HttpPurger, NoPurger, Purger, purge_for
from strongroom.index.redis_feed import RedisChangeFeed


def open_change_feed(settings: Settings) -> ChangeFeed:
    """The Redis feed when ``redis_url`` is set, else the file ``<data_dir>/serial``.

    Every process serving one index must use the same feed: all Redis, or all one data directory.
    """
    if settings.redis_url:
        import redis  # noqa: PLC0415  (only scaled-out deployments load the client)

        return RedisChangeFeed(redis.Redis.from_url(settings.redis_url), settings.redis_prefix)
    return FileChangeFeed(settings.data_dir / "serial")


def open_purger(settings: Settings) -> Purger:
    """An HTTP purger for the configured proxies, or one that does nothing."""
    targets = settings.purge_targets
    return HttpPurger(targets, method=settings.purge_method) if targets else NoPurger()


class CommitHook:
    """``on_commit(written)`` for writers: publish to the feed, then purge what the write changed.

    Publishing comes first, so a proxy that refetches a purged page gets it from a worker that
    already sees the new serial.
    """

    def __init__(self, feed: ChangeFeed, purger: Purger) -> None:
        self.feed = feed
        self.purger = purger

    def __call__(self, written: Written) -> None:
        self.feed.publish(written.serial)
        self.purger.purge(purge_for(written.changes))


def commit_hook(settings: Settings) -> CommitHook:
    """The commit hook the settings call for (feed and purger)."""
    return CommitHook(open_change_feed(settings), open_purger(settings))
