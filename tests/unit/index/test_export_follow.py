"""``follow`` rewrites exactly the pages a write changed, and the root page."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import delete, select
from tests.readside import Index

from strongroom.db import journal
from strongroom.db.base import utcnow
from strongroom.db.engine import Database
from strongroom.index.export import Refresh, follow, write_index, write_project
from strongroom.projects import Project, journal_changes
from strongroom.upload import File, Release


def test_follow_rewrites_changed_projects_and_drops_vanished_ones(database: Database,
                                                                  tmp_path: Path) -> None:
    index = Index(database, tmp_path)
    index.release("Alpha", "1.0")
    index.release("Beta", "1.0")
    root = tmp_path / "export"
    for project in ("alpha", "beta"):
        write_project(database, root, project)
    write_index(database, root)
    stop = threading.Event()
    passes = follow(database, index.feed, root, index.feed.current(), interval=0.01, stop=stop)

    index.release("Alpha", "2.0")
    refresh = next(passes)
    assert refresh == Refresh(index.feed.current(), ("alpha",), ())
    assert b"alpha-2.0-py3-none-any.whl" in (root / "simple/alpha/index.html").read_bytes()
    assert b"alpha" in (root / "simple/index.html").read_bytes()

    # A project removed behind the server's back (by hand, in SQL) loses its pages.
    with database.write() as session:
        beta = session.scalar(select(Project.id).where(Project.normalized_name == "beta"))
        releases = select(Release.id).where(Release.project_id == beta)
        session.execute(delete(File).where(File.release_id.in_(releases)))
        session.execute(delete(Release).where(Release.project_id == beta))
        session.execute(delete(Project).where(Project.id == beta))
        serial = journal_changes(session.connection(), project="beta",
                                 changes=[journal.Change("remove")], now=utcnow())
    index.feed.publish(serial)
    assert next(passes) == Refresh(serial, (), ("beta",))
    assert not (root / "simple/beta").exists()
    assert b"beta" not in (root / "simple/index.html").read_bytes()

    stop.set()
    assert list(passes) == []
