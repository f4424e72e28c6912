"""A blob store on the local filesystem: ``<root>/ab/cd/<sha256>``, written via rename."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from strongroom.errors import StorageUnavailable
from strongroom.storage.base import DigestMismatch, PendingPut, StoredAlready

_KEY = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1024 * 1024
# A larger blob is flushed before begin_put returns: its flush may take long, and the caller may
# be holding the database's write lock while it waits.
_FLUSH_IN_BACKGROUND = 1024 * 1024


class LocalBlobStore:
    """Content-addressed files under one directory; a crash leaves at most a temporary file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        self._names = itertools.count()
        self._flushers = ThreadPoolExecutor(max_workers=4, thread_name_prefix="blob-flush")

    def _path(self, sha256: str) -> Path:
        if not _KEY.match(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, sha256: str, source: BinaryIO) -> None:
        staged = self._stage(sha256, source)
        if staged is not None:
            _finish(staged)

    def begin_put(self, sha256: str, source: BinaryIO) -> PendingPut:
        """Write the bytes now, and flush them to the disk in a background thread (an fsync
        releases the GIL); a large blob is flushed before this returns."""
        staged = self._stage(sha256, source)
        if staged is None:
            return StoredAlready()
        if staged.size > _FLUSH_IN_BACKGROUND:
            _finish(staged)
            return StoredAlready()
        return self._flushers.submit(_finish, staged)

    def _stage(self, sha256: str, source: BinaryIO) -> _Staged | None:
        """The bytes written to a temporary file and checked, not yet flushed; None when the
        blob is already stored."""
        target = self._path(sha256)
        try:
            # Refresh the age, so garbage collection's grace period covers this new reference.
            os.utime(target)
        except (FileNotFoundError, NotADirectoryError):  # not stored (yet)
            pass
        else:
            return None
        # Unique in this process; what a crashed process left under the name is overwritten.
        tmp = self._tmp / f"{sha256}.{os.getpid()}.{next(self._names)}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        except OSError as exc:
            raise _unavailable(exc) from exc
        try:
            actual, size = _copy(source, fd)
        except OSError as exc:
            _abandon(fd, tmp)
            raise _unavailable(exc) from exc
        except BaseException:
            _abandon(fd, tmp)
            raise
        if actual != sha256:
            _abandon(fd, tmp)
            raise DigestMismatch(f"bytes hash to {actual}, not {sha256}")
        return _Staged(fd, tmp, target, size)

    def open(self, sha256: str) -> BinaryIO:
        return self._path(sha256).open("rb")

    def local_path(self, sha256: str) -> Path | None:
        return self._path(sha256)

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).exists()

    def delete(self, sha256: str) -> None:
        self._path(sha256).unlink(missing_ok=True)

    def list(self) -> Iterator[tuple[str, dt.datetime]]:
        for path in self.root.glob("??/??/*"):
            if _KEY.match(path.name):
                mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
                yield path.name, mtime


@dataclass(frozen=True)
class _Staged:
    """A blob's bytes in a temporary file still open as ``fd``, to be flushed and moved."""

    fd: int
    tmp: Path
    target: Path
    size: int


def _copy(source: BinaryIO, fd: int) -> tuple[str, int]:
    """Write ``source`` to ``fd``; the SHA-256 and size of what was written."""
    digest, size = hashlib.sha256(), 0
    with os.fdopen(fd, "wb", closefd=False) as out:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def _abandon(fd: int, tmp: Path) -> None:
    """Close and remove a temporary file that will not become a blob."""
    os.close(fd)
    tmp.unlink(missing_ok=True)


def _finish(staged: _Staged) -> None:
    """Flush the temporary file to the disk and move it under its key."""
    try:
        try:
            os.fsync(staged.fd)
        finally:
            os.close(staged.fd)
        _move(staged.tmp, staged.target)
    except OSError as exc:
        staged.tmp.unlink(missing_ok=True)
        raise _unavailable(exc) from exc


def _move(tmp: Path, target: Path) -> None:
    try:
        tmp.rename(target)
    except FileNotFoundError:  # the first blob under this prefix
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(target)


def _unavailable(error: OSError) -> StorageUnavailable:
    return StorageUnavailable(
        f"The file store could not save the upload ({error.strerror or error}); "
        "nothing was published. Try again later.")
