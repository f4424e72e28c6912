"""Test databases: SQLite always; PostgreSQL too when STRONGROOM_TEST_DATABASE_URL names a server.

Each PostgreSQL user gets a database of its own, created empty and dropped afterwards. A user
that wants a migrated one gets a copy of a template that ``MigratedTemplates`` migrated once
per test process: migrating costs about a second on PostgreSQL, copying a tenth of that."""

from __future__ import annotations

import importlib
import os
import shutil
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import psycopg
from sqlalchemy import MetaData

import strongroom
from strongroom.db.base import Base
from strongroom.db.engine import WRITE_LOCK_KEY, Database

POSTGRES_URL = os.environ.get("STRONGROOM_TEST_DATABASE_URL", "")
BACKENDS = ["sqlite", "postgresql"] if POSTGRES_URL else ["sqlite"]


def every_table() -> MetaData:
    """``Base.metadata`` with every table of Strongroom on it. Each package keeps its tables in
    its own ``models.py`` (db/models.py the journal's), and a table is on the metadata once its
    module is imported: they are found by walking the package, so a new capability's are not
    missed."""
    for path in sorted(Path(strongroom.__file__).parent.glob("*/models.py")):
        importlib.import_module(f"strongroom.{path.parent.name}.models")
    return Base.metadata


def _admin_url() -> str:
    return POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")


@contextmanager
def fresh_database(backend: str, tmp_dir: Path, *, template: str | None = None
                   ) -> Iterator[str]:
    """Yield the URL of a new database of the given backend: empty, or a copy of the
    PostgreSQL database named ``template`` (which no one may be connected to)."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_dir / 'strongroom.sqlite3'}"
        return
    name = f"strongroom_test_{uuid.uuid4().hex[:12]}"
    copy = f' TEMPLATE "{template}"' if template else ""
    with psycopg.connect(_admin_url(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"{copy}')
    base, _, _db = _admin_url().rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(_admin_url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class MigratedTemplates:
    """One database per backend, migrated to the newest revision on first use (so every test
    process still runs the migrations from an empty database), then copied for each user of
    ``migrated_database``. ``close`` drops them."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._urls: dict[str, str] = {}
        self._stack = ExitStack()

    def url(self, backend: str) -> str:
        """The template's URL; no connection to it is left open."""
        if backend not in self._urls:
            directory = self._root / backend
            directory.mkdir(parents=True)
            url = self._stack.enter_context(fresh_database(backend, directory))
            template = Database(url)
            try:
                template.migrate()
            finally:
                template.dispose()
            self._urls[backend] = url
        return self._urls[backend]

    @contextmanager
    def migrated_database(self, backend: str, tmp_dir: Path) -> Iterator[str]:
        """Yield the URL of a new database of ``backend`` at the newest revision."""
        template = self.url(backend)
        if backend == "sqlite":
            source = Path(template.removeprefix("sqlite:///"))
            with fresh_database(backend, tmp_dir) as url:
                target = url.removeprefix("sqlite:///")
                shutil.copyfile(source, target)
                if Path(f"{source}-wal").exists():  # not checkpointed: its pages are the copy's
                    shutil.copyfile(f"{source}-wal", f"{target}-wal")
                yield url
            return
        with fresh_database(backend, tmp_dir, template=template.rpartition("/")[2]) as url:
            yield url

    def close(self) -> None:
        self._stack.close()


@contextmanager
def writers_lock_held(url: str) -> Iterator[None]:
    """Hold the writers' lock of the database at ``url`` from a connection of its own, as an
    admin command in another process would (SQLite's write lock, PostgreSQL's advisory lock)."""
    if url.startswith("sqlite"):
        holder = sqlite3.connect(url.removeprefix("sqlite:///"), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        return
    with psycopg.connect(url) as server:
        server.execute("SELECT pg_advisory_lock(%s)", (WRITE_LOCK_KEY,))
        yield
