"""Opening the database does its one-time work at start, not in the first request."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from strongroom.db.engine import Database


def test_opening_the_database_configures_the_mappers(tmp_path: Path) -> None:
    # A fresh interpreter: in this one, earlier tests have configured the mappers already.
    probe = (
        "from strongroom.db import models\n"
        "from strongroom.db.engine import Database\n"
        "mappers = list(models.Base.registry.mappers)\n"
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
