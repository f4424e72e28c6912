"""Migrations: the newest revision builds exactly the models' schema, 0002 goes both ways, and
0004 (unique blake2_256) will not upgrade over files that share their bytes."""

from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, delete, insert, inspect, select
from sqlalchemy.exc import IntegrityError

from strongroom.db.base import Base
from strongroom.db.engine import _MIGRATIONS, Database
from strongroom.errors import Conflict
from strongroom.projects import Project
from strongroom.upload import File, Release
from tests.databases import every_table


def _config(connection: object) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _file_indexes(database: Database) -> set[str]:
    return {ix["name"] or "" for ix in inspect(database.engine).get_indexes("files")}


def test_head_schema_matches_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), every_table())
    assert differences == []


def test_every_table_is_in_a_models_module() -> None:
    # What every_table() walks: a table defined anywhere else would escape the check above.
    tables = every_table().tables
    modules = {mapper.class_.__module__ for mapper in Base.registry.mappers}
    assert {module.rpartition(".")[2] for module in modules} == {"models"}
    assert {"users", "projects", "roles", "tokens", "releases", "files", "filename_registry",
            "journal"} <= set(tables)


def test_files_by_release_index_downgrades_and_upgrades(database: Database) -> None:
    assert "ix_files_release_id" in _file_indexes(database)
    with database.engine.begin() as connection:
        command.downgrade(_config(connection), "0001")
    assert "ix_files_release_id" not in _file_indexes(database)
    database.migrate()
    assert "ix_files_release_id" in _file_indexes(database)


def _add_file(connection: Connection, filename: str, blake2_256: str) -> None:
    connection.execute(insert(File).values(
        release_id=1, filename=filename, packagetype="sdist", python_version="source", size=1,
        sha256=blake2_256, blake2_256=blake2_256, md5="m"))


def test_unique_blake2_refuses_to_upgrade_over_shared_bytes_and_says_which(
        database: Database) -> None:
    with database.engine.begin() as connection:
        command.downgrade(_config(connection), "0003")
    with database.engine.begin() as connection:
        connection.execute(insert(Project).values(name="demo", normalized_name="demo"))
        connection.execute(insert(Release).values(project_id=1, version="1.0",
                                                  canonical_version="1"))
        _add_file(connection, "demo-1.0.tar.gz", "ab" * 32)
        _add_file(connection, "demo-1.0.zip", "ab" * 32)
    with pytest.raises(Conflict, match=f"more than one name \\(blake2_256 {'ab' * 32}\\)"):
        database.migrate()
    with database.engine.begin() as connection:
        connection.execute(delete(File).where(File.filename == "demo-1.0.zip"))
    database.migrate()
    unique = {ix["name"]: ix["unique"] for ix in inspect(database.engine).get_indexes("files")}
    assert unique["ix_files_blake2_256"]
    with database.engine.begin() as connection, pytest.raises(IntegrityError):
        _add_file(connection, "demo-1.0.zip", "ab" * 32)


def test_unused_indexes_are_dropped_and_come_back_on_downgrade(database: Database) -> None:
    unused = {"ix_files_sha256", "ix_files_metadata_sha256"}
    assert not unused & _file_indexes(database)
    with database.engine.begin() as connection:
        command.downgrade(_config(connection), "0004")
    assert unused <= _file_indexes(database)
    journal = {ix["name"] for ix in inspect(database.engine).get_indexes("journal")}
    assert "ix_journal_project" in journal
    database.migrate()
    assert not unused & _file_indexes(database)


def test_project_limits_keep_existing_projects_on_the_defaults(database: Database) -> None:
    with database.engine.begin() as connection:
        command.downgrade(_config(connection), "0005")
    assert "upload_limit" not in {c["name"] for c in inspect(database.engine).get_columns(
        "projects")}
    with database.engine.begin() as connection:
        connection.execute(insert(Project).values(name="old", normalized_name="old"))
    database.migrate()
    with database.engine.connect() as connection:
        row = connection.execute(select(Project.upload_limit, Project.total_size_limit)).one()
    assert tuple(row) == (None, None)


def test_accounts_migration_moves_each_address_to_the_emails_table_and_back(
        database: Database) -> None:
    with database.engine.begin() as connection:
        command.downgrade(_config(connection), "0008")
        connection.exec_driver_sql(
            "INSERT INTO users (username, email, password_hash, is_active, created) "
            "VALUES ('alice', 'Alice@Example.org', 'x', true, CURRENT_TIMESTAMP)")
        # Rows that point at the user: the users table must not be rebuilt under them.
        connection.exec_driver_sql(
            "INSERT INTO tokens (id, user_id, key, description, created, read_only) "
            "VALUES ('t1', 1, 'k', '', CURRENT_TIMESTAMP, false)")
    database.migrate()
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT user_id FROM tokens").scalar_one() == 1
    with database.engine.connect() as connection:
        rows = connection.exec_driver_sql(
            'SELECT address, normalized, "primary", verified FROM emails').all()
    assert [tuple(row) for row in rows] == [("Alice@Example.org", "alice@example.org", True,
                                            False)]
    with database.engine.begin() as connection:
        command.downgrade(_config(connection), "0008")
    with database.engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT email FROM users").scalar_one() == (
            "Alice@Example.org")
