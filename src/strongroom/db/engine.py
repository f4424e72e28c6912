"""Opening the database: SQLite (WAL, one writer at a time) or PostgreSQL.

Writes go through ``Database.write()`` (an ORM session) or ``Database.write_connection()`` (a Core
connection, for hot paths such as uploads), which serialise every writing transaction (SQLite
``BEGIN IMMEDIATE``; PostgreSQL a transaction-scoped advisory lock). The journal's serials and
hash chain rely on that order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from strongroom.db.base import Base
from strongroom.errors import NotFound, StrongroomError, Unavailable

WRITE_LOCK_KEY = 0x5352_4A4E  # "SRJN": the journal's lock in pg_advisory_xact_lock
_MIGRATIONS = Path(__file__).with_name("migrations")
_LOCK = text("SELECT pg_advisory_xact_lock(:k)")
DEFAULT_LOCK_TIMEOUT = 30.0  # seconds a writer waits for another writer before giving up
_BUSY = ("The index's database is busy with another write; nothing was changed. "
         "Try again shortly.")


def _configure_sqlite(engine: Engine, lock_timeout: float) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: object) -> None:
        # The driver stays in autocommit mode and every transaction starts with an explicit
        # BEGIN (_begin), so that writers can ask for IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(lock_timeout * 1000)}")
        cursor.close()


def _begin(connection: Connection, statement: str) -> None:
    """Open SQLite's transaction straight on the driver (SQLAlchemy's own begin does nothing on
    pysqlite); the commit or rollback SQLAlchemy sends at the end closes it.

    This, rather than SQLAlchemy's "begin" event, because any connection event makes every
    statement on the engine pay for event dispatch: about a fifth of a simple query's cost.
    """
    driver: Any = connection.connection.driver_connection  # the sqlite3.Connection
    try:
        driver.execute(statement)
    except sqlite3.OperationalError as exc:  # the busy timeout ran out: another writer
        raise Unavailable(_BUSY) from exc


class Database:
    """The engine plus read and write sessions. One per process; passed to every service.

    A writer waits at most ``lock_timeout`` seconds for another writer (SQLite's busy timeout,
    PostgreSQL's lock_timeout), then gets Unavailable.
    """

    def __init__(self, url: str, *, lock_timeout: float = DEFAULT_LOCK_TIMEOUT) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
        if self.is_sqlite:
            # LIFO: the connection used last is used next, and SQLite keeps a connection's page
            # cache only while no other connection has written. An upload's read and write
            # transactions then run on one connection with its pages still cached.
            self.engine = create_engine(
                url, connect_args={"timeout": lock_timeout, "check_same_thread": False},
                pool_use_lifo=True,
            )
            _configure_sqlite(self.engine, lock_timeout)
        else:
            # Every lock wait of every statement (the writers' advisory lock included) ends.
            options = f"-c lock_timeout={int(lock_timeout * 1000)}"
            self.engine = create_engine(url, pool_pre_ping=True, pool_size=10,
                                        connect_args={"options": options})
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        # The ORM configures its mappers on first use, which costs tens of milliseconds: here,
        # at start, rather than in a server's first request. (Those of the capabilities
        # imported so far: cli/ and web/ import theirs before they open the database.)
        Base.registry.configure()

    @property
    def display_url(self) -> str:
        """The URL without its password, to name the database in messages."""
        return make_url(self.url).render_as_string(hide_password=True)

    def has_schema(self) -> bool:
        """Whether the database holds Strongroom's schema, at any revision. An absent SQLite
        file is not created (the answer is False). Raises NotFound when the PostgreSQL database
        does not exist and Unavailable when it cannot be reached."""
        path = self._sqlite_path()
        if path is not None and not path.is_file():
            return False
        with self._connect() as connection:
            return inspect(connection).has_table("alembic_version")

    def migrate(self) -> None:
        """Bring the schema to the newest revision (idempotent), creating it in an empty
        database and a missing SQLite file with its directory. Raises NotFound when the
        PostgreSQL database does not exist and Unavailable when it cannot be reached."""
        path = self._sqlite_path()
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        config = Config()
        config.set_main_option("script_location", str(_MIGRATIONS))
        with self._connect() as connection, connection.begin():
            self._start(connection, write=True)  # one migrator at a time
            config.attributes["connection"] = connection
            command.upgrade(config, "head")

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading; rolled back at the end. (On PostgreSQL it connects on first
        use, so a caller may still choose the isolation level.)"""
        with self._sessions() as session:
            if self.is_sqlite:
                _begin(session.connection(), "BEGIN")
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """A writing transaction, serialised with every other writer; commits on success."""
        with self._sessions() as session, session.begin():
            self._start(session.connection(), write=True)
            yield session

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """``read()`` as a Core connection, without an ORM session (tens of microseconds less
        per transaction); rolled back at the end."""
        with self.engine.connect() as connection:
            self._start(connection, write=False)
            yield connection

    @contextmanager
    def write_connection(self) -> Iterator[Connection]:
        """``write()`` as a Core connection: serialised likewise, committed on success."""
        with self.engine.begin() as connection:
            self._start(connection, write=True)
            yield connection

    def _start(self, connection: Connection, *, write: bool) -> None:
        """Begin the transaction: on SQLite ``BEGIN`` (``IMMEDIATE`` for a writer, which takes
        the write lock at once); on PostgreSQL a writer takes the journal's advisory lock."""
        if self.is_sqlite:
            _begin(connection, "BEGIN IMMEDIATE" if write else "BEGIN")
        elif write:
            try:
                connection.execute(_LOCK, {"k": WRITE_LOCK_KEY})
            except OperationalError as exc:  # lock_timeout: another writer held on
                raise Unavailable(_BUSY) from exc

    def _sqlite_path(self) -> Path | None:
        """The SQLite file, or None for PostgreSQL and an in-memory database."""
        database = make_url(self.url).database if self.is_sqlite else None
        return Path(database) if database and database != ":memory:" else None

    def _connect(self) -> Connection:
        """A connection; a database that is missing or out of reach is a clear error."""
        try:
            return self.engine.connect()
        except OperationalError as exc:
            raise self._unreachable(exc) from exc

    def _unreachable(self, exc: OperationalError) -> StrongroomError:
        reason = " ".join(str(exc.orig).split()) or "failed"
        # A refused connection carries no SQLSTATE (libpq reports it as text), so a missing
        # database is recognised by the server's words; any other wording is still reported.
        missing = f'database "{make_url(self.url).database}" does not exist'
        if not self.is_sqlite and missing in reason:
            return NotFound(f"the database {self.display_url} does not exist: create it "
                            "(createdb), or correct STRONGROOM_DATABASE_URL")
        return Unavailable(f"cannot open the database {self.display_url}: {reason}")

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()
