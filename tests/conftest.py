"""Fixtures shared by unit and functional tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from strongroom.db.engine import Database
from tests.databases import BACKENDS, fresh_database


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database on each backend under test."""
    with fresh_database(request.param, tmp_path) as url:
        db = Database(url)
        db.migrate()
        try:
            yield db
        finally:
            db.dispose()
