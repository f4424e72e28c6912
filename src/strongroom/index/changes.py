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
    """A change feed in one small file, for processes sharing a filesystem.

    ``publish`` writes a temporary file and renames it over the feed (readers never see a torn
    write), under an ``flock`` so concurrent publishers cannot move the serial backwards.
    ``current`` costs one ``stat``: the file is re-read only when its identity, size or times
    changed.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock_path = path.with_name(path.name + ".lock")
        self._guard = threading.Lock()
        # (stat stamp, serial) replaced as one object, so threads never pair a stamp with
        # another stamp's serial.
        self._seen: tuple[tuple[int, int, int, int] | None, int] = (None, 0)

    def _read(self) -> int:
        try:
            text = self.path.read_text(encoding="ascii").strip()
        except FileNotFoundError:
            return 0
        return int(text) if text.isdigit() else 0

    def publish(self, serial: int) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._guard, self._lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if serial <= self._read():
                return
            tmp = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            tmp.write_text(f"{serial}\n", encoding="ascii")
            tmp.replace(self.path)

    def current(self) -> int:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return 0
        # A rename gives a new inode; the ctime/mtime pair guards against inode reuse.
        stamp = (st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns)
        seen_stamp, serial = self._seen
        if stamp != seen_stamp:
            serial = self._read()
            self._seen = (stamp, serial)
        return serial
