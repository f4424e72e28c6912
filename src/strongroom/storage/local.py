"""A blob store on the local filesystem: ``<root>/ab/cd/<sha256>``, written via rename."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from strongroom.errors import StorageUnavailable
from strongroom.storage.base import DigestMismatch

_KEY = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1024 * 1024


class LocalBlobStore:
    """Content-addressed files under one directory; a crash leaves at most a temporary file."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._tmp = root / "tmp"
        self._tmp.mkdir(parents=True, exist_ok=True)

    def _path(self, sha256: str) -> Path:
        if not _KEY.match(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, sha256: str, source: BinaryIO) -> None:
        target = self._path(sha256)
        try:
            # Refresh the age, so garbage collection's grace period covers this new reference.
            os.utime(target)
        except FileNotFoundError:
            pass
        else:
            return
        try:
            self._write(target, sha256, source)
        except OSError as exc:
            raise StorageUnavailable(
                f"The file store could not save the upload ({exc.strerror or exc}); "
                "nothing was published. Try again later.") from exc

    def _write(self, target: Path, sha256: str, source: BinaryIO) -> None:
        # Named after the blob and this thread: no other live writer uses the name, and what a
        # crash left under it is overwritten.
        tmp = self._tmp / f"{sha256}.{os.getpid()}.{threading.get_ident()}"
        try:
            actual = _copy_synced(source, tmp)
            if actual == sha256:
                _move(tmp, target)
                return
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        tmp.unlink(missing_ok=True)
        raise DigestMismatch(f"bytes hash to {actual}, not {sha256}")

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


def _copy_synced(source: BinaryIO, path: Path) -> str:
    """Write ``source`` to ``path`` and onto the disk; the SHA-256 of what was written."""
    digest = hashlib.sha256()
    with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as out:
        while chunk := source.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    return digest.hexdigest()


def _move(tmp: Path, target: Path) -> None:
    try:
        tmp.rename(target)
    except FileNotFoundError:  # the first blob under this prefix
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp.rename(target)
