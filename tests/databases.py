"""Test databases: SQLite always; PostgreSQL too when STRONGROOM_TEST_DATABASE_URL names a server.

Each PostgreSQL user gets a database of its own, created empty and dropped afterwards."""

from __future__ import annotations

import importlib
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg
from sqlalchemy import MetaData

import strongroom
from strongroom.db.base import Base
from strongroom.db.engine import WRITE_LOCK_KEY

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


@contextmanager
def fresh_database(backend: str, tmp_dir: Path) -> Iterator[str]:
    """Yield the URL of a new, empty database of the given backend."""
    if backend == "sqlite":
        yield f"sqlite:///{tmp_dir / 'strongroom.sqlite3'}"
        return
    name = f"strongroom_test_{uuid.uuid4().hex[:12]}"
    admin_url = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, _db = admin_url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
