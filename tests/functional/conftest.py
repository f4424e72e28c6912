"""A live index per test module, on each database backend under test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.databases import BACKENDS
from tests.functional.server import LiveIndex, running_index


@pytest.fixture(scope="module", params=BACKENDS)
def index(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[LiveIndex]:
    """A running ``strongroom serve`` with a user 'alice' who holds an account-wide token."""
    with running_index(request.param, tmp_path_factory.mktemp(f"index-{request.param}")) as live:
        yield live
