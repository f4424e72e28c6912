"""The change feed: how writers tell every read-side process that the journal moved.

Writers call ``publish(serial)`` after their transaction commits; readers call ``current()`` on
every request and, when it moved, ask the journal which projects changed. The feed carries only a
number, so losing a publish costs staleness until the next one, never wrong data.
"""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from typing import Protocol


class ChangeFeed(Protocol):
    """The newest committed serial, shared by all processes serving one index."""

    def publish(self, serial: int) -> None:
        """Announce that ``serial`` is committed. Smaller or equal serials are ignored."""

    def current(self) -> int:
        """The newest announced serial (0 when none). Cheap enough to call on every request."""


class FileChangeFeed:
    """A change feed in one small append-only file, for processes sharing a filesystem.

    ``publish`` appends the serial as a line, under an ``flock`` so concurrent publishers cannot
    move it backwards. Appending costs far less than replacing a file, which ext4 flushes to disk
    on every rename over an existing name. Once the file passes ``compact_at`` bytes it is
    rewritten to one line through a temporary file and a rename.
    ``current`` costs one ``stat``: the file only grows until it is replaced by a new inode, so
    its identity, size and mtime say whether the last line must be read again.
    """

    def __init__(self, path: Path, *, compact_at: int = 1 << 20) -> None:
        self.path = path
        self._name = os.fspath(path)  # stat()ed on every request: skip pathlib's conversion
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock_name = os.fspath(path.with_name(path.name + ".lock"))
        self._compact_at = compact_at
        self._guard = threading.Lock()
        # (stat stamp, serial) replaced as one object, so threads never pair a stamp with
        # another stamp's serial.
        self._seen: tuple[tuple[int, int, int] | None, int] = (None, 0)

    def _read(self) -> tuple[int, int]:
        """The last complete line's serial (0 when none) and the file's size."""
        try:
            feed = os.open(self._name, os.O_RDONLY)
        except FileNotFoundError:
            return 0, 0
        try:
            return _tail(feed)
        finally:
            os.close(feed)

    def publish(self, serial: int) -> None:
        # Descriptors rather than file objects: every upload publishes.
        line = f"{serial}\n".encode("ascii")
        with self._guard:
            lock = os.open(self._lock_name, os.O_WRONLY | os.O_CREAT, 0o666)
            try:
                fcntl.flock(lock, fcntl.LOCK_EX)  # closing the descriptor releases it
                # One descriptor reads the tail and appends (O_APPEND writes at the end).
                feed = os.open(self._name, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o666)
                try:
                    last, size = _tail(feed)
                    if serial <= last:
                        return
                    if size + len(line) <= self._compact_at:
                        os.write(feed, line)
                        return
                finally:
                    os.close(feed)
                tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
                tmp.write_bytes(line)
                tmp.replace(self.path)
            finally:
                os.close(lock)

    def current(self) -> int:
        try:
            st = os.stat(self._name)  # noqa: PTH116 - once per request, without pathlib
        except FileNotFoundError:
            return 0
        # A compaction gives a new inode; the mtime guards against inode reuse.
        stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
        seen_stamp, serial = self._seen
        if stamp != seen_stamp:
            serial = self._read()[0]
            self._seen = (stamp, serial)
        return serial


def _tail(feed: int) -> tuple[int, int]:
    """The last complete line's serial (0 when none) and the size of the open feed ``feed``."""
    size = os.fstat(feed).st_size
    start = max(0, size - _TAIL_BYTES)
    tail = os.pread(feed, size - start, start)
    lines = tail[: tail.rfind(b"\n")].rsplit(b"\n", 1)
    last = lines[-1].strip()
    return (int(last) if last.isdigit() else 0), size


# Longer than any serial's line, so the tail read always holds the whole last line.
_TAIL_BYTES = 64
