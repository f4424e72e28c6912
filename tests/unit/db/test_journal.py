"""The journal: strictly increasing serials, and a hash chain that shows tampering."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select, update

from strongroom.db import journal
from strongroom.db.engine import Database
from strongroom.db.models import JournalEntry

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def _fill(database: Database, count: int) -> None:
    with database.write() as session:
        for i in range(count):
            journal.add_entries(session.connection(), project="demo",
                                changes=[journal.Change(f"step {i}")], now=NOW,
                                submitted_by="alice")


def test_serials_increase(database: Database) -> None:
    _fill(database, 3)
    with database.read() as session:
        assert journal.last_serial(session) == 3
        assert journal.projects_changed_since(session, 2) == {"demo"}
        assert journal.projects_changed_since(session, 3) == set()
        assert journal.verify_chain(session, batch=2) is None


def test_edited_entry_breaks_the_chain(database: Database) -> None:
    _fill(database, 4)
    with database.write() as session:
        session.execute(update(JournalEntry).where(JournalEntry.id == 2)
                        .values(action="something else"))
    with database.read() as session:
        broken = journal.verify_chain(session)
    assert broken is not None
    assert broken.serial == 2


def test_removed_entry_breaks_the_chain(database: Database) -> None:
    _fill(database, 4)
    with database.write() as session:
        session.execute(delete(JournalEntry).where(JournalEntry.id == 3))
    with database.read() as session:
        broken = journal.verify_chain(session)
    assert broken is not None
    assert broken.serial == 3
    assert "missing" in broken.reason


def test_empty_journal_is_intact(database: Database) -> None:
    with database.read() as session:
        assert journal.last_serial(session) == 0
        assert journal.verify_chain(session) is None


def test_several_changes_in_one_call_chain_in_order(database: Database) -> None:
    _fill(database, 1)
    with database.write() as session:
        changes = [
            journal.Change("new release", version="1.0"),
            journal.Change("add py3 file demo-1.0-py3-none-any.whl", version="1.0",
                           filename="demo-1.0-py3-none-any.whl"),
        ]
        serial = journal.add_entries(session.connection(), project="demo", now=NOW,
                                     submitted_by="bob", changes=changes)
    assert serial == 3
    with database.read() as session:
        entries = session.scalars(select(JournalEntry).order_by(JournalEntry.id)).all()
        assert [(e.id, e.action, e.filename) for e in entries[1:]] == [
            (2, "new release", None),
            (3, "add py3 file demo-1.0-py3-none-any.whl", "demo-1.0-py3-none-any.whl"),
        ]
        assert journal.verify_chain(session) is None
