"""The read path: simple pages, JSON API documents and file locations, cached until they change.

Public API: ``IndexReader`` (serves everything the read routes need), ``ChangeFeed`` (the protocol
writers publish committed serials to) and ``FileChangeFeed`` (its file-based implementation).
"""

from strongroom.index.cache import Page
from strongroom.index.changes import ChangeFeed, FileChangeFeed
from strongroom.index.reader import BlobTarget, IndexReader

__all__ = ["BlobTarget", "ChangeFeed", "FileChangeFeed", "IndexReader", "Page"]
