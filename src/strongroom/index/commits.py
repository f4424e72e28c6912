"""What happens after a write commits: the change feed moves, then caches in front are purged.

``open_change_feed(settings)`` picks the feed (Redis when a Redis URL is set, else a file in the
data directory); ``CommitHook`` is the ``on_commit(serial)`` callable writers are given.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from strongroom.config import Settings
from strongroom.db.engine import Database
from strongroom.db.models import JournalEntry
from strongroom.index.changes import ChangeFeed, FileChangeFeed
from strongroom.index.purge import HttpPurger, NoPurger, Purger, purge_for
from strongroom.index.redis_feed import RedisChangeFeed

# How far back one transaction's entries may reach (a new project writes three).
_MAX_ENTRIES_PER_WRITE = 1000


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


def changes_in_write(db: Database, serial: int) -> dict[str, set[str]]:
    """``{project: versions}`` touched by the write transaction whose last entry is ``serial``.

    A write's entries are consecutive (writers are serialised) and share the one ``now`` the
    writer passes to every ``journal.append``, so walking back from ``serial`` while ``created``
    is unchanged finds exactly that transaction's entries.
    """
    with db.read() as session:
        rows = session.execute(
            select(JournalEntry.project, JournalEntry.version, JournalEntry.created)
            .where(JournalEntry.id <= serial, JournalEntry.id > serial - _MAX_ENTRIES_PER_WRITE)
            .order_by(JournalEntry.id.desc())
        )
        changes: dict[str, set[str]] = defaultdict(set)
        first_created = None
        for project, version, created in rows:
            if first_created is None:
                first_created = created
            elif created != first_created:
                break
            changes[project].update([version] if version else [])
    return dict(changes)


class CommitHook:
    """``on_commit(serial)`` for writers: publish to the feed, then purge what the write changed.

    Publishing comes first, so a proxy that refetches a purged page gets it from a worker that
    already sees the new serial.
    """

    def __init__(self, db: Database, feed: ChangeFeed, purger: Purger) -> None:
        self.db = db
        self.feed = feed
        self.purger = purger

    def __call__(self, serial: int) -> None:
        self.feed.publish(serial)
        if isinstance(self.purger, NoPurger):
            return  # skip the journal read when nothing listens
        self.purger.purge(purge_for(changes_in_write(self.db, serial)))


def commit_hook(settings: Settings, db: Database) -> CommitHook:
    """The commit hook the settings call for (feed and purger)."""
    return CommitHook(db, open_change_feed(settings), open_purger(settings))
