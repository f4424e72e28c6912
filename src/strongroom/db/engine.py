"""Opening the database: SQLite (WAL, one writer at a time) or PostgreSQL.

Writes go through ``Database.write()`` (an ORM session) or ``Database.write_connection()`` (a Core
connection, for hot paths such as uploads), which serialise every writing transaction (SQLite
``BEGIN IMMEDIATE``; PostgreSQL a transaction-scoped advisory lock). The journal's serials and
hash chain rely on that order.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from strongroom.db import models

_WRITE_LOCK_KEY = 0x5352_4A4E  # "SRJN": the journal's lock in pg_advisory_xact_lock
_MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK = text("SELECT pg_advisory_xact_lock(:k)")


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: object) -> None:
        # Let SQLAlchemy's "begin" event issue BEGIN itself, so writers can ask for IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("strongroom_write", False)
        # Straight to the driver: BEGIN has no parameters or result for SQLAlchemy to handle.
        connection.connection.driver_connection.execute(
            "BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """The engine plus read and write sessions. One per process; passed to every service."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        if self.is_sqlite:
            path = url.removeprefix("sqlite:///")
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.engine = create_engine(
                url, connect_args={"timeout": 30, "check_same_thread": False}
            )
            _configure_sqlite(self.engine)
        else:
            self.engine = create_engine(url, pool_pre_ping=True, pool_size=10)
        self._write_engine = self.engine.execution_options(strongroom_write=True)
        self._reader = sessionmaker(self.engine, expire_on_commit=False)
        self._writer = sessionmaker(self._write_engine, expire_on_commit=False)
        # The ORM configures its mappers on first use, which costs tens of milliseconds: here,
        # at start, rather than in a server's first request.
        models.Base.registry.configure()

    def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent)."""
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        with self.engine.begin() as connection:
            if not self.is_sqlite:
                connection.execute(_LOCK, {"k": _WRITE_LOCK_KEY})
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; rolled back at the end."""
        with self._reader() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A writing transaction, serialised with every other writer; commits on success."""
        with self._writer() as session, session.begin():
            if not self.is_sqlite:
                session.execute(_LOCK, {"k": _WRITE_LOCK_KEY})
            yield session

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """``read()`` as a Core connection, without an ORM session (tens of microseconds less
        per transaction); rolled back at the end."""
        with self.engine.connect() as connection:
            yield connection

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """``write()`` as a Core connection: serialised likewise, committed on success."""
        with self._write_engine.begin() as connection:
            if not self.is_sqlite:
                connection.execute(_LOCK, {"k": _WRITE_LOCK_KEY})
            yield connection

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
