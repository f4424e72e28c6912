"""Counting downloads without slowing them: the read path adds one to a counter in memory
(a dictionary behind a lock no other thread holds for long), and a thread of this process adds
the counts to the database in one short transaction every ``every`` seconds, and once more at
shutdown. The counters hold at most one entry per project that has files, so they are bounded
by the index itself. A flush that fails (the database busy or down) keeps its counts for the
next one; a process that dies loses at most one interval's counts.

Uses Core: one upsert per project counted since the last flush.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from strongroom.critical.models import ProjectDownloads
from strongroom.db.base import utcnow
from strongroom.db.engine import Database

logger = logging.getLogger(__name__)
FLUSH_SECONDS = 60.0


def add_downloads(connection: Connection, counts: dict[str, int], day: dt.date) -> None:
    """Add ``counts`` (project → downloads) to ``day``'s rows, in the caller's transaction."""
    if not counts:
        return
    rows = [{"project": project, "day": day, "count": count}
            for project, count in sorted(counts.items())]
    statement: postgresql.Insert | sqlite.Insert = (
        postgresql.insert(ProjectDownloads) if connection.dialect.name == "postgresql"
        else sqlite.insert(ProjectDownloads))
    connection.execute(statement.on_conflict_do_update(
        index_elements=["project", "day"],
        set_={"count": ProjectDownloads.count + statement.excluded["count"]}), rows)


class DownloadCounter:
    """Counts downloads per project in memory; ``start`` flushes them to ``db`` every
    ``every`` seconds on a thread of its own, ``close`` stops it after a last flush."""

    def __init__(self, db: Database, *, every: float = FLUSH_SECONDS,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._db = db
        self._every = every
        self._clock = clock
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def count(self, project: str) -> None:
        """One download of a distribution of ``project`` (its normalised name)."""
        with self._lock:
            self._counts[project] = self._counts.get(project, 0) + 1

    def flush(self) -> int:
        """Add what was counted to the database now; returns how many downloads. On a
        database error the counts are kept for the next flush, and the error is raised."""
        with self._lock:
            counts, self._counts = self._counts, {}
        if not counts:
            return 0
        try:
            with self._db.write_connection() as connection:
                add_downloads(connection, counts, self._clock().date())
        except Exception:
            with self._lock:
                for project, count in counts.items():
                    self._counts[project] = self._counts.get(project, 0) + count
            raise
        return sum(counts.values())

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self._flush_logged()

    def _flush_logged(self) -> None:
        try:
            self.flush()
        except Exception:
            logger.warning("download counts not yet stored; will retry", exc_info=True)

    def start(self) -> None:
        """Flush every ``every`` seconds from now on."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="download-counter",
                                            daemon=True)
            self._thread.start()

    def close(self) -> None:
        """Stop flushing, after one last flush."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._flush_logged()
