"""Counting downloads without slowing them: the read path appends the project's name to a
queue (an atomic append, no lock), and a thread of this process folds the queue into counts and
adds them to the database in one short transaction every ``every`` seconds, sooner when
``most`` downloads wait, and once more at shutdown. What a failed write (the database busy or
down) could not store is kept, as counts per project, for the next flush. The queue holds at
most ``most`` names before the thread is woken and never more than ``HARD_LIMIT`` (past it a
download goes uncounted); the counts hold one entry per project. A process that dies loses at
most one interval's counts.

Uses Core: one upsert per project counted since the last flush.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections import deque
from collections.abc import Callable

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from strongroom.critical.models import ProjectDownloads
from strongroom.db.base import utcnow
from strongroom.db.engine import Database

logger = logging.getLogger(__name__)
FLUSH_SECONDS = 60.0
MOST_WAITING = 100_000  # downloads waiting that wake the flushing thread early
HARD_LIMIT = 1_000_000  # downloads waiting past which more go uncounted (8 MB of references)


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
    """Counts downloads per project; ``start`` flushes them to ``db`` every ``every`` seconds
    (or once ``most`` are waiting) on a thread of its own, ``close`` stops it after a last
    flush."""

    def __init__(self, db: Database, *, every: float = FLUSH_SECONDS, most: int = MOST_WAITING,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self._db = db
        self._every = every
        self._most = most
        self._clock = clock
        self._waiting: deque[str] = deque()
        self._unsaved: dict[str, int] = {}
        self._flushing = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def count(self, project: str) -> None:
        """One download of a distribution of ``project`` (its normalised name)."""
        waiting = self._waiting
        if len(waiting) < HARD_LIMIT:
            waiting.append(project)
            if len(waiting) == self._most:
                self._wake.set()

    def flush(self) -> int:
        """Add what was counted to the database now; returns how many downloads. On a
        database error the counts are kept for the next flush, and the error is raised."""
        with self._flushing:
            counts, waiting = self._unsaved, self._waiting
            self._unsaved = {}
            for _ in range(len(waiting)):  # what waits now; later ones wait for the next flush
                project = waiting.popleft()
                counts[project] = counts.get(project, 0) + 1
            if not counts:
                return 0
            try:
                with self._db.write_connection() as connection:
                    add_downloads(connection, counts, self._clock().date())
            except Exception:
                self._unsaved = counts
                raise
            return sum(counts.values())

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self._every)
            self._wake.clear()
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
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        self._flush_logged()
