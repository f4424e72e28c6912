"""A blob store on the local filesystem: ``<root>/ab/cd/<sha256>``, written via rename."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import itertools
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from strongroom.errors import StorageUnavailable
from strongroom.storage.base import DigestMismatch

_KEY = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1024 * 1024


class LocalBlobStore:
    """Content-addressed files under one directory; a crash leaves at most a temporary file.

    A blob is written to a temporary file, flushed to the disk (unless the caller says it need
    not be), then renamed into place, so its path never names a partial file while the machine
    runs. Paths are handled as strings: a put is on every upload's path.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root = os.fspath(root)
        self._tmp = root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)
        self._tmp_prefix = os.path.join(os.fspath(self._tmp), "")
        self._names = itertools.count()

    def _target(self, sha256: str) -> str:
        if not _KEY.match(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return os.path.join(self._root, sha256[:2], sha256[2:4], sha256)

    def put(self, sha256: str, source: BinaryIO, *, flush: bool = True) -> None:
        target = self._target(sha256)
        try:
            # Refresh the age, so garbage collection's grace period covers this new reference.
            os.utime(target)
        except (FileNotFoundError, NotADirectoryError):  # not stored (yet)
            pass
        else:
            return
        # Unique in this process; what a crashed process left under the name is overwritten.
        tmp = f"{self._tmp_prefix}{sha256}.{os.getpid()}.{next(self._names)}"
        try:
            _write(tmp, source, sha256, flush=flush)
            _move(tmp, target)
        except OSError as exc:
            _remove(tmp)
            raise _unavailable(exc) from exc
        except BaseException:
            _remove(tmp)
            raise

    def open(self, sha256: str) -> BinaryIO:
        return open(self._target(sha256), "rb")

    def local_path(self, sha256: str) -> Path | None:
        return Path(self._target(sha256))

    def exists(self, sha256: str) -> bool:
        return os.path.exists(self._target(sha256))

    def delete(self, sha256: str) -> None:
        _remove(self._target(sha256))

    def list(self) -> Iterator[tuple[str, dt.datetime]]:
        for path in self.root.glob("??/??/*"):
            if _KEY.match(path.name):
                mtime = dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)
                yield path.name, mtime


def _write(path: str, source: BinaryIO, sha256: str, *, flush: bool) -> None:
    """Write ``source`` to a new file at ``path``, checking its digest, flushed if asked."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        actual = _copy(source, fd)
        if actual != sha256:
            raise DigestMismatch(f"bytes hash to {actual}, not {sha256}")
        if flush:
            os.fsync(fd)
    finally:
        os.close(fd)


def _copy(source: BinaryIO, fd: int) -> str:
    """Write ``source`` to ``fd``; the SHA-256 of what was written."""
    digest = hashlib.sha256()
    while chunk := source.read(_CHUNK):
        digest.update(chunk)
        view = memoryview(chunk)
        while view:
            view = view[os.write(fd, view):]
    return digest.hexdigest()


def _move(tmp: str, target: str) -> None:
    try:
        os.rename(tmp, target)
    except FileNotFoundError:  # the first blob under this prefix
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.rename(tmp, target)


def _remove(path: str) -> None:
    with contextlib.suppress(FileNotFoundError, NotADirectoryError):
        os.unlink(path)


def _unavailable(error: OSError) -> StorageUnavailable:
    return StorageUnavailable(
        f"The file store could not save the upload ({error.strerror or error}); "
        "nothing was published. Try again later.")
