"""Migrations: the newest revision builds exactly the models' schema, and 0002 goes both ways."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from strongroom.db.engine import _MIGRATIONS, Database
from strongroom.db.models import Base


def _config(connection: object) -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _file_indexes(database: Database) -> set[str]:
    return {ix["name"] or "" for ix in inspect(database.engine).get_indexes("files")}


def test_head_schema_matches_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_files_by_release_index_downgrades_and_upgrades(database: Database) -> None:
    assert "ix_files_release_id" in _file_indexes(database)
    with database.engine.begin() as connection:
        command.downgrade(_config(connection), "0001")
    assert "ix_files_release_id" not in _file_indexes(database)
    database.migrate()
    assert "ix_files_release_id" in _file_indexes(database)
