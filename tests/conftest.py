"""Fixtures shared by unit and functional tests."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from strongroom.db.engine import Database
from strongroom.rendering import ReadmeSandbox
from tests.databases import BACKENDS, fresh_database
from tests.services import delete_prefix, redis_client
from tests.smtp import SmtpServer, running


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


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of its own in the test Redis; its keys are deleted afterwards."""
    prefix = f"strongroom-test:{uuid.uuid4().hex}:"
    yield prefix
    client = redis_client()
    delete_prefix(client, prefix)
    client.close()


@pytest.fixture(scope="session")
def readmes() -> Iterator[ReadmeSandbox]:
    """The README renderer's worker processes, shared by every test that uploads in process."""
    sandbox = ReadmeSandbox()
    yield sandbox
    sandbox.close()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1 (tests/smtp.py says how to use it): ``.url`` to give
    Strongroom, ``.messages`` received so far, ``.wait_for(count)`` to wait for them."""
    with running() as server:
        yield server
