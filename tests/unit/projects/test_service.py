"""Projects made and limited by admins: journaled like any change, summarised with their limits."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from strongroom.accounts import AccountService
from strongroom.config import Limits
from strongroom.db import journal
from strongroom.db.engine import Database
from strongroom.db.models import JournalEntry
from strongroom.domain.principals import Principal, PrincipalKind
from strongroom.errors import Conflict, InvalidInput, NotFound
from strongroom.projects import KEEP, Project, ProjectService, TeamService

NOW = dt.datetime(2026, 12, 8, 9, 30, tzinfo=dt.UTC)


@pytest.fixture
def projects(database: Database) -> tuple[ProjectService, list[journal.Written]]:
    AccountService(database).create_user("Alice", email="alice@example.org",
                                         password="a long enough password")
    written: list[journal.Written] = []
    return ProjectService(database, Limits(), on_commit=written.append,
                          clock=lambda: NOW), written


def test_create_journals_the_project_and_its_owner(
        database: Database, projects: tuple[ProjectService, list[journal.Written]]) -> None:
    service, written = projects
    assert service.create("My.Project", owner="alice", actor="admin") == 2
    assert written == [journal.Written(2, {"my-project": frozenset()})]
    with database.read() as session:
        entries = session.execute(select(JournalEntry.project, JournalEntry.action,
                                         JournalEntry.submitted_by)).all()
        assert [tuple(e) for e in entries] == [("my-project", "create", "admin"),
                                               ("my-project", "add Owner Alice", "admin")]
        assert session.scalar(select(Project.last_serial)) == 2
        assert journal.verify_chain(session) is None
    summary = service.summary("my_project")
    assert (summary.name, summary.owners, summary.maintainers) == ("My.Project", ("Alice",), ())
    assert (summary.owner_teams, summary.maintainer_teams) == ((), ())
    assert (summary.releases, summary.files, summary.total_size) == (0, 0, 0)
    assert (summary.upload_limit, summary.total_size_limit) == (None, None)
    assert summary.limits == Limits()


@pytest.mark.parametrize(("name", "owner", "error"), [
    ("my-project", "alice", Conflict),
    ("bad name", "alice", InvalidInput),
    ("x" * 201, "alice", InvalidInput),
    ("other", "nobody", NotFound),
])
def test_what_create_refuses(projects: tuple[ProjectService, list[journal.Written]], name: str,
                             owner: str, error: type[Exception]) -> None:
    service, _ = projects
    service.create("My.Project", owner="alice", actor="admin")
    with pytest.raises(error):
        service.create(name, owner=owner, actor="admin")


def test_limits_are_set_kept_and_reset(
        database: Database, projects: tuple[ProjectService, list[journal.Written]]) -> None:
    service, written = projects
    service.create("big", owner="alice", actor="admin")
    assert service.set_limits("BIG", file_size=2 * 2**30, total=50 * 2**30, actor="root") == 4
    assert service.set_limits("big", file_size=2 * 2**30, actor="root") is None
    summary = service.summary("big")
    assert (summary.upload_limit, summary.total_size_limit) == (2 * 2**30, 50 * 2**30)
    assert summary.limits.max_uncompressed_size == 40 * 2**30
    assert service.set_limits("big", file_size=KEEP, total=None, actor="root") == 5
    assert service.summary("big").total_size_limit is None
    assert service.summary("big").limits.max_project_size == Limits().max_project_size
    assert [w.serial for w in written] == [2, 4, 5]
    with database.read() as session:
        actions = session.scalars(select(JournalEntry.action).where(JournalEntry.id > 2)
                                  .order_by(JournalEntry.id)).all()
    assert actions == ["set file size limit to 2 GiB", "set total size limit to 50 GiB",
                       "set total size limit to the default"]


def test_limits_of_an_unknown_project_or_under_a_byte_are_refused(
        projects: tuple[ProjectService, list[journal.Written]]) -> None:
    service, _ = projects
    with pytest.raises(NotFound, match="no project named 'ghost'"):
        service.set_limits("ghost", total=1, actor="admin")
    service.create("real", owner="alice", actor="admin")
    with pytest.raises(InvalidInput, match="at least one byte"):
        service.set_limits("real", file_size=0, actor="admin")


def test_the_summary_names_the_teams_roles(
        database: Database, projects: tuple[ProjectService, list[journal.Written]]) -> None:
    service, _ = projects
    service.create("shared", owner="alice", actor="admin")
    teams = TeamService(database, on_commit=lambda _w: None, clock=lambda: NOW)
    admin = Principal(PrincipalKind.ADMIN, "admin")
    for name, role in (("web", "Maintainer"), ("Core", "Owner"), ("api", "Maintainer")):
        teams.create(name, actor="admin")
        teams.grant(name, "shared", role, by=admin)
    summary = service.summary("shared")
    assert (summary.owners, summary.maintainers) == (("Alice",), ())
    assert (summary.owner_teams, summary.maintainer_teams) == (("Core",), ("api", "web"))
