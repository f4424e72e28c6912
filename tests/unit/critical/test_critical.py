"""Downloads are counted in memory and added to the database in batches that survive a
failed flush; the ranking makes the top share of projects critical (stickily, never against
an admin's word), records it, and names whom to tell."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from strongroom.accounts import AccountService
from strongroom.config import Limits
from strongroom.critical import CriticalProjects, DownloadCounter, ProjectDownloads
from strongroom.db.engine import Database
from strongroom.errors import InvalidInput, NotFound
from strongroom.history import History
from strongroom.projects import ProjectService

NOW = dt.datetime(2026, 12, 6, 12, 0, tzinfo=dt.UTC)
PASSWORD = "correct horse battery staple 42"


@pytest.fixture
def projects(database: Database) -> list[str]:
    """Ten projects owned by alice (bob maintains none)."""
    accounts = AccountService(database)
    accounts.create_user("alice", email="alice@example.org", password=PASSWORD)
    service = ProjectService(database, Limits(), on_commit=lambda _written: None)
    names = [f"project-{n}" for n in range(10)]
    for name in names:
        service.create(name, owner="alice", actor="admin")
    return names


def _counts(database: Database) -> dict[tuple[str, dt.date], int]:
    with database.read() as session:
        return {(r.project, r.day): r.count for r in session.scalars(select(ProjectDownloads))}


def test_counts_are_added_in_batches_and_kept_when_a_flush_fails(database: Database,
                                                                  tmp_path: Path) -> None:
    counter = DownloadCounter(database, clock=lambda: NOW)
    threads = [threading.Thread(target=lambda: [counter.count("demo") for _ in range(500)])
               for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counter.count("other")
    assert counter.flush() == 2001
    assert counter.flush() == 0
    counter.count("demo")
    assert counter.flush() == 1
    assert _counts(database) == {("demo", NOW.date()): 2001, ("other", NOW.date()): 1}
    # A database that cannot be written yet (its directory is missing): the counts wait.
    url = f"sqlite:///{tmp_path / 'later' / 'db.sqlite3'}"
    later = Database(url)
    waiting = DownloadCounter(later, clock=lambda: NOW)
    waiting.count("demo")
    with pytest.raises(Exception):  # noqa: B017, PT011 - whatever the driver raises
        waiting.flush()
    waiting.count("demo")
    later.migrate()  # makes the directory and the tables
    assert waiting.flush() == 2
    assert _counts(later) == {("demo", NOW.date()): 2}
    later.dispose()


def test_a_flood_of_downloads_wakes_the_flusher_early(database: Database) -> None:
    counter = DownloadCounter(database, every=3600, most=100, clock=lambda: NOW)
    counter.start()
    try:
        for _ in range(100):
            counter.count("busy")
        deadline = time.monotonic() + 10
        while not _counts(database) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _counts(database) == {("busy", NOW.date()): 100}
    finally:
        counter.close()


def test_the_top_share_becomes_critical_once_and_stays(database: Database,
                                                       projects: list[str]) -> None:
    counter = DownloadCounter(database, clock=lambda: NOW)
    for rank, name in enumerate(projects):
        for _ in range(rank + 1):
            counter.count(name)
    counter.flush()
    critical = CriticalProjects(database)
    dry = critical.rank(now=NOW, share=0.2, dry_run=True)
    assert [n.project for n in dry.newly_critical] == ["project-9", "project-8"]
    assert critical.all() == []
    ranking = critical.rank(now=NOW, share=0.2)
    assert ranking.top == 2
    assert ranking.ranked == [("project-9", 10), ("project-8", 9)]
    people = ranking.newly_critical[0].people
    assert [(p.username, p.role, p.addresses) for p in people] == [("alice", "Owner", ())]
    assert critical.since("project-9") == NOW
    # Already critical: not new again. Fallen out of the top: still critical.
    later = NOW + dt.timedelta(days=1)
    counter = DownloadCounter(database, clock=lambda: later)
    for _ in range(100):
        counter.count("project-0")
    counter.flush()
    again = critical.rank(now=later, share=0.2)
    assert [n.project for n in again.newly_critical] == ["project-0"]
    assert {v.project for v in critical.all() if v.critical} == {
        "project-0", "project-8", "project-9"}
    kinds = [e.kind for e in History(database).for_project("project-9", limit=10)]
    assert kinds == ["project.critical"]


def test_downloads_outside_the_window_do_not_count(database: Database,
                                                   projects: list[str]) -> None:
    old = NOW - dt.timedelta(days=200)
    counter = DownloadCounter(database, clock=lambda: old)
    counter.count("project-3")
    counter.flush()
    assert CriticalProjects(database).rank(now=NOW, share=1.0).ranked == []


def test_an_admins_word_outlasts_the_ranking(database: Database, projects: list[str]) -> None:
    critical = CriticalProjects(database)
    counter = DownloadCounter(database, clock=lambda: NOW)
    counter.count("project-1")
    counter.flush()
    assert critical.mark("Project_1", critical=False, now=NOW, actor="admin") is None
    assert critical.rank(now=NOW, share=1.0).newly_critical == []
    newly = critical.mark("project-2", critical=True, now=NOW, actor="admin")
    assert newly is not None
    assert newly.project == "project-2"
    assert critical.since("project-2") == NOW
    critical.mark("project-2", critical=None, now=NOW, actor="admin")
    assert critical.since("project-2") is None  # an admin's mark, taken back
    critical.mark("project-1", critical=None, now=NOW, actor="admin")
    assert [n.project for n in critical.rank(now=NOW, share=1.0).newly_critical] == [
        "project-1"]
    kinds = [e.kind for e in History(database).for_project("project-2", limit=10)]
    assert kinds == ["project.not-critical", "project.critical"]
    with pytest.raises(NotFound):
        critical.mark("no-such-project", critical=True, now=NOW, actor="admin")
    with pytest.raises(InvalidInput):
        critical.rank(now=NOW, share=0)
