"""A change to a project is journaled and moves the project's last serial with it."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from strongroom.db import journal
from strongroom.db.engine import Database
from strongroom.db.models import JournalEntry
from strongroom.projects import Project, journal_changes

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def test_changes_are_journaled_and_move_only_their_project(database: Database) -> None:
    with database.write() as session:
        session.add_all([Project(name="Demo", normalized_name="demo"),
                         Project(name="Other", normalized_name="other")])
        session.flush()
        first = journal_changes(session.connection(), project="demo", now=NOW,
                                changes=[journal.Change("create")])
        last = journal_changes(session.connection(), project="demo", now=NOW,
                               submitted_by="bob", changes=[
                                   journal.Change("new release", version="1.0"),
                                   journal.Change("yank release", version="1.0")])
    assert (first, last) == (1, 3)
    with database.read() as session:
        serials = dict(session.execute(select(Project.normalized_name, Project.last_serial)).all())
        assert serials == {"demo": 3, "other": 0}
        entries = session.execute(select(JournalEntry.id, JournalEntry.project,
                                         JournalEntry.action, JournalEntry.submitted_by)
                                  .order_by(JournalEntry.id)).all()
        assert [tuple(e) for e in entries] == [(1, "demo", "create", None),
                                               (2, "demo", "new release", "bob"),
                                               (3, "demo", "yank release", "bob")]
        assert journal.verify_chain(session) is None
