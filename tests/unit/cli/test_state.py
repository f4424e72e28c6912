"""Admin commands open an existing index and refuse to invent one; the commands that create an
index make it; an index at an older schema is still migrated."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from strongroom.cli.state import NoIndex, open_index
from strongroom.config import Settings
from strongroom.db.engine import _MIGRATIONS
from strongroom.errors import NotFound, Unavailable
from tests.databases import BACKENDS, POSTGRES_URL, fresh_database

needs_postgres = pytest.mark.skipif(not POSTGRES_URL, reason="STRONGROOM_TEST_DATABASE_URL unset")


def _tables(settings: Settings) -> set[str]:
    db = open_index(settings)
    try:
        return set(inspect(db.engine).get_table_names())
    finally:
        db.dispose()


def test_a_missing_data_directory_is_refused_and_not_created(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "typo")
    with pytest.raises(NoIndex, match=r"no index at .*typo \(no strongroom.sqlite3 there\): "
                                      r"`strongroom serve` or `strongroom admin user create`"):
        open_index(settings)
    assert not settings.data_dir.exists()


def test_a_directory_without_a_database_is_refused(tmp_path: Path) -> None:
    (tmp_path / "strongroom.sqlite3").touch()  # an empty file is no index either
    with pytest.raises(NoIndex):
        open_index(Settings(data_dir=tmp_path))


@pytest.mark.parametrize("backend", BACKENDS)
def test_create_makes_the_index_that_later_commands_open(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        settings = Settings(data_dir=tmp_path / "new", database_url=url)
        with pytest.raises(NoIndex):
            open_index(settings)
        open_index(settings, create=True).dispose()
        assert settings.data_dir.is_dir()
        assert {"projects", "journal", "alembic_version"} <= _tables(settings)


@needs_postgres
def test_an_empty_postgresql_database_is_refused_by_its_url(tmp_path: Path) -> None:
    refusal = r"no index in the database postgresql://\S+ \(it has no Strongroom tables\)"
    with fresh_database("postgresql", tmp_path) as url, pytest.raises(NoIndex, match=refusal):
        open_index(Settings(data_dir=tmp_path, database_url=url))


@needs_postgres
def test_a_missing_postgresql_database_is_named_not_a_traceback(tmp_path: Path) -> None:
    base = POSTGRES_URL.rpartition("/")[0]
    settings = Settings(data_dir=tmp_path, database_url=f"{base}/strongroom_no_such_db")
    for create in (False, True):
        with pytest.raises(NotFound, match="strongroom_no_such_db does not exist: create it") as e:
            open_index(settings, create=create)
        assert not isinstance(e.value, NoIndex)


def test_an_unreachable_database_is_unavailable_and_hides_the_password(tmp_path: Path) -> None:
    with pytest.raises(Unavailable, match=r"cannot open the database "
                                          r"postgresql://strongroom:\*\*\*@127.0.0.1:9/x: ") as e:
        open_index(Settings(data_dir=tmp_path,
                            database_url="postgresql://strongroom:hunter22@127.0.0.1:9/x"))
    assert "hunter22" not in e.value.message


@pytest.mark.parametrize("backend", BACKENDS)
def test_an_index_at_an_older_revision_is_migrated(backend: str, tmp_path: Path) -> None:
    with fresh_database(backend, tmp_path) as url:
        settings = Settings(data_dir=tmp_path, database_url=url)
        db = open_index(settings, create=True)
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.downgrade(config, "0001")
        indexes = {ix["name"] for ix in inspect(db.engine).get_indexes("files")}
        assert "ix_files_release_id" not in indexes
        db.dispose()
        db = open_index(settings)
        indexes = {ix["name"] for ix in inspect(db.engine).get_indexes("files")}
        db.dispose()
        assert "ix_files_release_id" in indexes
