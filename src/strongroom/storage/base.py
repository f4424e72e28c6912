"""The blob store interface. A blob's key is the hex SHA-256 of its bytes, so a key can never
name different bytes, and writing the same bytes twice is harmless."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from strongroom.errors import StrongroomError


class DigestMismatch(StrongroomError):
    """The bytes written did not hash to the key they were stored under."""


class PendingPut(Protocol):
    """A ``begin_put`` under way."""

    def result(self) -> None:
        """Wait until the blob is stored; raises what ``put`` would have."""


class StoredAlready:
    """A ``begin_put`` that finished before it returned."""

    def result(self) -> None:
        """Nothing to wait for."""


class BlobStore(Protocol):
    """Where distribution files and metadata files live."""

    def put(self, sha256: str, source: BinaryIO) -> None:
        """Store ``source`` (read to its end) under ``sha256``, atomically.

        Raises DigestMismatch, leaving nothing behind, if the bytes do not hash to ``sha256``,
        and StorageUnavailable when the store cannot take them (disk full, bucket unreachable).
        """

    def begin_put(self, sha256: str, source: BinaryIO) -> PendingPut:
        """Start a ``put`` and return before its last step, so that the caller can work
        meanwhile; the blob is stored once ``result()`` returns, which raises what ``put``
        would. A store finishes before returning where the wait could be long (a remote store,
        a large blob), so that a caller waiting under a lock never waits long.
        """

    def open(self, sha256: str) -> BinaryIO:
        """Open a stored blob for reading. Raises FileNotFoundError when absent."""

    def local_path(self, sha256: str) -> Path | None:
        """A filesystem path of the blob for zero-copy serving, or None for remote stores."""

    def exists(self, sha256: str) -> bool:
        """Whether a blob is stored under ``sha256``."""

    def delete(self, sha256: str) -> None:
        """Remove a blob; absent blobs are ignored."""

    def list(self) -> Iterator[tuple[str, dt.datetime]]:
        """Every stored key with the time it was written."""
