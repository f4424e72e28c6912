"""A live index per test module, on each database backend under test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.databases import BACKENDS, fresh_database
from tests.functional.server import LiveIndex, free_port


@pytest.fixture(scope="module", params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[LiveIndex]:
    """A running ``strongroom serve`` with a user 'alice' who holds an account-wide token."""
    root: Path = tmp_path_factory.mktemp(f"index-{request.param}")
    with fresh_database(request.param, root) as url:
        live = LiveIndex(data_dir=root / "data", database_url=url, port=free_port(),
                         log_path=root / "server.log")
        live.start()
        try:
            yield live
        finally:
            live.stop()
