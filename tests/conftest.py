"""Fixtures shared by unit and functional tests."""

from __future__ import annotations

import tempfile
import uuid
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from strongroom.db.engine import Database
from strongroom.rendering import ReadmeSandbox
from tests.alone import Turns
from tests.databases import BACKENDS, MigratedTemplates
from tests.services import delete_prefix, redis_client
from tests.smtp import SmtpServer, running

_TURNS = pytest.StashKey[Turns]()


def pytest_configure(config: pytest.Config) -> None:
    """On a pytest-xdist worker, join the run's lock for ``alone`` tests (tests/alone.py)."""
    run = getattr(config, "workerinput", {}).get("testrunuid")
    if run is None:
        return
    # A worker's basetemp is popen-gwN in the run's own, which pytest cleans up.
    basetemp = config.option.basetemp
    shared = Path(basetemp).parent if basetemp else Path(tempfile.gettempdir()) / run
    config.stash[_TURNS] = Turns(shared / "alone-turns")


def pytest_unconfigure(config: pytest.Config) -> None:
    if _TURNS in config.stash:
        config.stash[_TURNS].close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item) -> Generator[None, object, object]:
    """Each test, from setup to teardown, beside other tests (tests/alone.py)."""
    turns = item.config.stash.get(_TURNS, None)
    if turns is None:
        return (yield)
    turns.take(alone=False)
    try:
        return (yield)
    finally:
        turns.release()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, object, object]:
    """The call of a test marked ``alone`` while no other test runs."""
    turns = item.config.stash.get(_TURNS, None)
    if turns is None or item.get_closest_marker("alone") is None:
        return (yield)
    turns.take(alone=True)
    try:
        return (yield)
    finally:
        turns.take(alone=False)  # its teardown, beside the others again


@pytest.fixture(scope="session")
def migrated_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedTemplates]:
    """This test process's migrated databases, which ``database`` copies."""
    templates = MigratedTemplates(tmp_path_factory.mktemp("templates"))
    yield templates
    templates.close()


@pytest.fixture(params=BACKENDS)
def database(request: pytest.FixtureRequest, tmp_path: Path,
             migrated_templates: MigratedTemplates) -> Iterator[Database]:
    """A migrated, empty database on each backend under test (a copy of a template that
    migrate() built; migrate() on it again finds nothing to do, as on any server start)."""
    with migrated_templates.migrated_database(request.param, tmp_path) as url:
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
