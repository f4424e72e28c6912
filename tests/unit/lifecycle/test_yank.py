"""Yanking: the release flag, the journal entry, and what the commit hook is told."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from strongroom.db import journal
from strongroom.db.engine import Database
from strongroom.errors import InvalidInput, NotFound
from strongroom.lifecycle import YankService
from strongroom.projects import Project
from strongroom.upload import Release


@pytest.fixture
def written(database: Database) -> list[journal.Written]:
    with database.write() as session:
        project = Project(name="Demo", normalized_name="demo")
        session.add(project)
        session.add(Release(project=project, version="1.0", canonical_version="1"))
    return []


def test_yank_flags_the_release_and_reports_the_write(database: Database,
                                                      written: list[journal.Written]) -> None:
    service = YankService(database, on_commit=written.append)
    serial = service.yank("Demo", "1.0.0", reason="broken wheel", actor="alice")
    assert written == [journal.Written(1, {"demo": frozenset({"1.0"})})]
    assert serial == 1
    with database.read() as session:
        release = session.scalars(select(Release)).one()
        assert (release.yanked, release.yanked_reason) == (True, "broken wheel")
        assert session.scalars(select(Project.last_serial)).one() == 1
    # Yanking again with the same reason changes nothing and tells no one.
    assert service.yank("demo", "1.0", reason="broken wheel", actor="alice") is None
    assert len(written) == 1
    assert service.unyank("demo", "1.0", actor="alice") == 2
    assert written[-1] == journal.Written(2, {"demo": frozenset({"1.0"})})


def test_unknown_release_and_bad_version_are_clear_errors(database: Database,
                                                          written: list[journal.Written]) -> None:
    service = YankService(database, on_commit=written.append)
    with pytest.raises(NotFound, match=r"no release '2\.0'"):
        service.yank("demo", "2.0", reason="", actor="alice")
    with pytest.raises(NotFound, match="no project named 'nope'"):
        service.yank("nope", "1.0", reason="", actor="alice")
    with pytest.raises(InvalidInput, match="not a valid PEP 440 version"):
        service.yank("demo", "one", reason="", actor="alice")
    assert written == []
