"""The root page of a larger index: built from streamed rows, never from ORM objects."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert, select
from tests.readside import Index

from strongroom.db import journal
from strongroom.db.base import Base, utcnow
from strongroom.db.engine import Database
from strongroom.domain.simple import IndexEntry, render_index_html, render_index_json
from strongroom.index import views
from strongroom.projects import Project, journal_changes

COUNT = 2 * views.INDEX_BATCH + 345  # several fetch batches


@pytest.fixture
def index(database: Database, tmp_path: Path) -> Index:
    built = Index(database, tmp_path)
    now = utcnow()
    with database.write() as session:
        session.execute(insert(Project), [
            {"name": f"Proj-{i}", "normalized_name": f"proj-{i:05d}", "created": now,
             "status": "quarantined" if i % 100 == 5 else "active", "last_serial": i}
            for i in range(COUNT)
        ])
        first = session.scalars(select(Project).limit(1)).one()
        journal_changes(session.connection(), project=first.normalized_name,
                        changes=[journal.Change("create")], now=now)
    return built


@contextmanager
def orm_loads() -> Iterator[list[object]]:
    """Every ORM object of any mapped class loaded while the block runs."""
    loaded: list[object] = []

    def on_load(target: object, _context: Any) -> None:
        loaded.append(target)

    event.listen(Base, "load", on_load, propagate=True)
    try:
        yield loaded
    finally:
        event.remove(Base, "load", on_load)


def _expected(database: Database) -> tuple[list[IndexEntry], int]:
    with database.read() as session:
        rows = session.execute(select(Project).order_by(Project.normalized_name)).scalars()
        entries = [IndexEntry(p.name, p.normalized_name, p.last_serial)
                   for p in rows if p.status != "quarantined"]
        return entries, journal.last_serial(session)


def test_root_page_builds_no_orm_objects(index: Index) -> None:
    with orm_loads() as loaded:
        html = asyncio.run(index.reader.index_page("html"))
        data = asyncio.run(index.reader.index_page("json"))
    assert loaded == []
    entries, serial = _expected(index.db)
    assert len(entries) == COUNT - COUNT // 100 - 1
    assert html.body == render_index_html(entries, serial)
    assert data.body == render_index_json(entries, serial)
    assert len(json.loads(data.body)["projects"]) == len(entries)


def test_orm_load_counter_sees_objects(index: Index) -> None:
    # The counter above can fail: loading projects as objects is counted.
    with orm_loads() as loaded:
        _expected(index.db)
    assert len(loaded) == COUNT
