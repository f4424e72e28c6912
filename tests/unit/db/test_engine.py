"""Opening the database does its one-time work at start, not in the first request; a writer
waits for another only so long."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from strongroom.db.engine import Database
from strongroom.errors import Unavailable
from tests.databases import writers_lock_held


def test_opening_the_database_configures_the_mappers(tmp_path: Path) -> None:
    # A fresh interpreter: in this one, earlier tests have configured the mappers already.
    probe = (
        "import strongroom.tokens, strongroom.upload\n"
        "from strongroom.db.base import Base\n"
        "from strongroom.db.engine import Database\n"
        "mappers = list(Base.registry.mappers)\n"
        "assert mappers and not any(m.configured for m in mappers)\n"
        f"Database('sqlite:///{tmp_path / 'index.sqlite3'}')\n"
        "print(all(m.configured for m in mappers))\n"
    )
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "True"


def test_sqlite_transactions_in_turn_share_one_connection(tmp_path: Path) -> None:
    # SQLite keeps a connection's page cache only until another connection writes, so an
    # upload's read and write transactions should run on the connection used last.
    db = Database(f"sqlite:///{tmp_path / 'index.sqlite3'}")
    db.migrate()
    with db.read_connection() as first, db.read_connection() as second:  # two in the pool
        assert first.connection.driver_connection is not second.connection.driver_connection
    drivers = []
    for _ in range(3):
        with db.read_connection() as reading:
            drivers.append(reading.connection.driver_connection)
        with db.write_connection() as writing:
            drivers.append(writing.connection.driver_connection)
    db.dispose()
    assert len({id(driver) for driver in drivers}) == 1


def test_a_writer_waits_for_another_only_so_long(database: Database) -> None:
    patient = Database(database.url, lock_timeout=0.5)
    try:
        with writers_lock_held(database.url):
            started = time.monotonic()
            with pytest.raises(Unavailable, match="busy with another write"), \
                    patient.write_connection():
                pass
            assert 0.4 < time.monotonic() - started < 5
            with patient.read_connection() as reading:  # readers do not wait at all
                assert reading.execute(text("SELECT 1")).scalar() == 1
        with patient.write_connection() as writing:  # the other writer is done
            assert writing.execute(text("SELECT 1")).scalar() == 1
    finally:
        patient.dispose()
