"""A bounded, thread-safe cache of rendered read-side objects, invalidated per project.

Every entry belongs to one project (normalised name) or to ``ALL_PROJECTS`` (pages that list
every project, such as ``/simple/``). ``invalidate(projects)`` drops the entries of those projects
and every ``ALL_PROJECTS`` entry. A render that started before an invalidation touching its
project is not stored (``put`` refuses it), so a slow render can never pin a stale page.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict, deque
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

ALL_PROJECTS = ""
_LOCK_STRIPES = 64
_HISTORY = 256  # invalidation passes remembered for the stale-render check

V = TypeVar("V")


@dataclass(frozen=True)
class Page:
    """A rendered page: its bytes, strong ETag (quoted) and the serial it shows."""

    body: bytes
    etag: str
    serial: int

    @classmethod
    def of(cls, body: bytes, serial: int) -> Page:
        """Wrap ``body``, deriving the ETag from a SHA-256 of the bytes."""
        return cls(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"', serial)


@dataclass
class _Entry(Generic[V]):
    project: str
    value: V
    size: int


class ReadCache(Generic[V]):
    """LRU by entry count and by total ``size`` (bytes, as the caller counts them)."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries = max_entries
        self.max_bytes = max_bytes
        self._entries: OrderedDict[Hashable, _Entry[V]] = OrderedDict()
        self._by_project: dict[str, set[Hashable]] = {}
        self._bytes = 0
        self._lock = threading.Lock()
        self._stripes = tuple(threading.Lock() for _ in range(_LOCK_STRIPES))
        self._epoch = 0
        self._history: deque[tuple[int, frozenset[str]]] = deque(maxlen=_HISTORY)

    @property
    def epoch(self) -> int:
        """A counter moved by every invalidation; pass it back to ``put``."""
        return self._epoch

    @property
    def size(self) -> tuple[int, int]:
        """(entries, bytes) currently held."""
        return len(self._entries), self._bytes

    def lock_for(self, key: Hashable) -> threading.Lock:
        """The lock that serialises renders of ``key`` (striped, so memory stays bounded)."""
        return self._stripes[hash(key) % _LOCK_STRIPES]

    def get(self, key: Hashable) -> V | None:
        """The cached value, marked most recently used; None on a miss."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry.value

    def _touched_since(self, project: str, epoch: int) -> bool:
        if epoch == self._epoch:
            return False
        if not self._history or self._history[0][0] > epoch + 1:
            return True  # older than what we remember: assume the worst
        return any(
            e > epoch and (project == ALL_PROJECTS or project in changed)
            for e, changed in self._history
        )

    def put(self, key: Hashable, project: str, value: V, size: int, epoch: int) -> bool:
        """Store ``value`` rendered from a read that began at ``epoch``; False when refused.

        Refused when an invalidation since ``epoch`` touched ``project``, or when ``size`` alone
        exceeds the byte bound.
        """
        if size > self.max_bytes:
            return False
        with self._lock:
            if self._touched_since(project, epoch):
                return False
            self._drop(key)
            self._entries[key] = _Entry(project, value, size)
            self._by_project.setdefault(project, set()).add(key)
            self._bytes += size
            while len(self._entries) > self.max_entries or self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))
            return True

    def _drop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        self._bytes -= entry.size
        keys = self._by_project.get(entry.project)
        if keys is not None:
            keys.discard(key)
            if not keys:
                del self._by_project[entry.project]

    def invalidate(self, projects: Iterable[str]) -> None:
        """Drop every entry of ``projects`` and every ``ALL_PROJECTS`` entry."""
        changed = frozenset(projects)
        with self._lock:
            self._epoch += 1
            self._history.append((self._epoch, changed))
            for project in (*changed, ALL_PROJECTS):
                for key in list(self._by_project.get(project, ())):
                    self._drop(key)
