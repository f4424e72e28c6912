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


class BlobStore(Protocol):
    """Where distribution files and metadata files live."""

    def put(self, sha256: str, source: BinaryIO, *, flush: bool = True) -> None:
        """Store ``source`` (read to its end) under ``sha256``, atomically: readers see the
        whole blob or none.

        Raises DigestMismatch, leaving nothing behind, if the bytes do not hash to ``sha256``,
        and StorageUnavailable when the store cannot take them (disk full, bucket unreachable).

        With ``flush`` (the default) the bytes are on the disk when this returns. Without it a
        store that writes to a local disk leaves them to the operating system, so a crash of
        the machine may lose them or cut them short: only for bytes that can be made again from
        another blob (a wheel's metadata file), which their readers check before use. A store
        that never loses what it acknowledged (S3) ignores ``flush``.
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
