"""Prepared statements store and read values exactly as SQLAlchemy's own execution does."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import bindparam, exists, select, text, update
from sqlalchemy.exc import IntegrityError

from strongroom.db.engine import Database
from strongroom.db.statements import (
    Prepared,
    PreparedError,
    execute,
    execute_many,
    first,
    insert_values,
    scalar,
)
from strongroom.projects import Project
from strongroom.upload import File, Release

WHEN = dt.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=dt.UTC)
_NEW_PROJECT = Prepared(insert_values(
    Project, "name", "normalized_name", "created", "status", "total_size", "last_serial",
).returning(Project.id))
_NEW_RELEASE = Prepared(insert_values(
    Release, "project_id", "version", "canonical_version", "created", "yanked", "yanked_reason",
    "requires_python", "core_metadata", "uploader_id",
).returning(Release.id, Release.created))


def _project(name: str) -> dict[str, object]:
    return {"name": name, "normalized_name": name.lower(), "created": WHEN, "status": "active",
            "total_size": 0, "last_serial": 0}


def test_values_written_prepared_read_back_through_the_orm(database: Database) -> None:
    with database.write_connection() as connection:
        project_id = scalar(connection, _NEW_PROJECT, _project("Demo"))
        row = first(connection, _NEW_RELEASE, {
            "project_id": project_id, "version": "1.0", "canonical_version": "1",
            "created": WHEN, "yanked": True, "yanked_reason": "broken",
            "requires_python": None, "core_metadata": {"name": "Demo", "keywords": ["a", "b"]},
            "uploader_id": None,
        })
    assert row is not None
    assert row.created == WHEN  # RETURNING columns pass the types' result processors
    with database.read() as session:
        release = session.scalars(select(Release)).one()
        assert (release.project.name, release.created, release.yanked) == ("Demo", WHEN, True)
        assert release.core_metadata == {"name": "Demo", "keywords": ["a", "b"]}
        assert release.requires_python is None


def test_values_written_by_the_orm_read_back_prepared(database: Database) -> None:
    with database.write() as session:
        session.add(Project(name="Demo", normalized_name="demo", created=WHEN))
    query = Prepared(select(Project.id, Project.name, Project.created,
                            exists().where(Project.status == "active").label("any_active"))
                     .where(Project.normalized_name == bindparam("name")))
    with database.read_connection() as connection:
        row = first(connection, query, {"name": "demo"})
        missing = first(connection, query, {"name": "nothing"})
    assert row is not None
    assert missing is None
    assert (row.name, row.created, row.any_active) == ("Demo", WHEN, True)
    assert row.created.tzinfo == dt.UTC
    assert isinstance(row.any_active, bool)  # SQLite's 1 passes the Boolean result processor


def test_updates_and_many_rows(database: Database) -> None:
    with database.write_connection() as connection:
        execute_many(connection, Prepared(insert_values(
            Project, "name", "normalized_name", "created", "status", "total_size",
            "last_serial")), [_project("A"), _project("B"), _project("C")])
        execute(connection, Prepared(
            update(Project).where(Project.normalized_name != bindparam("keep"))
            .values(total_size=Project.total_size + bindparam("size"))),
            {"keep": "b", "size": 7})
        sizes = execute(connection, Prepared(
            select(Project.normalized_name, Project.total_size).order_by(Project.id)))
    assert [tuple(row) for row in sizes] == [("a", 7), ("b", 0), ("c", 7)]


def test_unique_violation_is_sqlalchemys_integrity_error(database: Database) -> None:
    with database.write_connection() as connection:
        execute(connection, _NEW_PROJECT, _project("Demo"))
    with pytest.raises(IntegrityError), database.write_connection() as connection:
        execute(connection, _NEW_PROJECT, _project("DEMO"))
    with database.read_connection() as connection:
        assert scalar(connection, Prepared(select(Project.name))) == "Demo"


def test_a_missing_parameter_is_named(database: Database) -> None:
    values = _project("Demo")
    del values["status"]
    with database.write_connection() as connection, pytest.raises(PreparedError, match="status"):
        execute(connection, _NEW_PROJECT, values)


def test_statements_relying_on_python_defaults_are_refused(database: Database) -> None:
    # File.upload_time has a Python-side default, which only SQLAlchemy's execution computes.
    statement = Prepared(insert_values(File, "release_id", "filename"))
    with database.write_connection() as connection, pytest.raises(PreparedError,
                                                                  match="upload_time"):
        execute(connection, statement, {"release_id": 1, "filename": "x"})


def test_only_core_selects_and_dml_run_prepared(database: Database) -> None:
    with database.read_connection() as connection, pytest.raises(PreparedError, match="only"):
        execute(connection, Prepared(text("SELECT 1")))
