"""Opening the database does its one-time work at start, not in the first request."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


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
