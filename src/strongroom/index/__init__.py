"""The read path: simple pages, JSON API documents and file locations, cached until they change.

Public API: ``IndexReader`` (serves everything the read routes need), ``ChangeFeed`` (the protocol
writers publish committed serials to) with ``FileChangeFeed`` and ``RedisChangeFeed``, and the
commit side: ``commit_hook(settings)`` (the ``on_commit`` writers call: feed, then purge) and
``open_change_feed(settings)``.
"""

from strongroom.index.cache import ALL_PROJECTS, Page
from strongroom.index.changes import ChangeFeed, FileChangeFeed
from strongroom.index.commits import CommitHook, commit_hook, open_change_feed
from strongroom.index.purge import HttpPurger, NoPurger, Purger
from strongroom.index.reader import BlobTarget, IndexReader
from strongroom.index.redis_feed import RedisChangeFeed

__all__ = [
    "ALL_PROJECTS",
    "BlobTarget",
    "ChangeFeed",
    "CommitHook",
    "FileChangeFeed",
    "HttpPurger",
    "IndexReader",
    "NoPurger",
    "Page",
    "Purger",
    "RedisChangeFeed",
    "commit_hook",
    "open_change_feed",
]
