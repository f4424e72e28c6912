"""The command line words errors: the message, then the objects it does not name; an import
acts as an admin principal for the account it is given."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from strongroom.accounts import User
from strongroom.cli.errors import about, describe
from strongroom.cli.importer import import_command
from strongroom.cli.main import main
from strongroom.cli.state import open_index
from strongroom.config import Settings
from strongroom.db.models import JournalEntry
from strongroom.domain.principals import Principal, PrincipalKind
from strongroom.errors import Conflict, Forbidden
from strongroom.upload import Release
from tests.builders import make_wheel
from tests.unit.cli.indexes import index_with_users

ADMIN = Principal(PrincipalKind.ADMIN, name="alice", user_id=1)


def test_the_objects_a_message_leaves_unnamed_follow_it() -> None:
    error = Conflict("Only one sdist may be uploaded per release.", project="Demo",
                     filename="demo-1.0.tar.gz", principal=ADMIN)
    assert describe(error) == ("Only one sdist may be uploaded per release. "
                               "(project 'Demo', file 'demo-1.0.tar.gz', admin 'alice')")
    assert about(error, given={"filename", "principal"}) == " (project 'Demo')"


def test_a_message_naming_everything_stands_alone() -> None:
    error = Forbidden("The user 'alice' isn't allowed to upload to project 'demo'.",
                      project="demo", principal=ADMIN)
    assert describe(error) == error.message
    assert about(Conflict("taken")) == ""


def test_an_import_publishes_as_before_and_words_its_refusals(tmp_path: Path) -> None:
    data = index_with_users(tmp_path, "alice", "bob")
    first = make_wheel(tmp_path / "in", "demo", "1.0")
    runner = CliRunner()
    done = runner.invoke(import_command, [str(first), "--user", "alice", "--data-dir", str(data)])
    assert done.exit_code == 0, done.output
    db = open_index(Settings(data_dir=data))
    try:
        with db.read() as session:
            alice = session.scalar(select(User.id).where(User.username == "alice"))
            assert session.scalars(select(Release.uploader_id)).one() == alice
            assert set(session.scalars(select(JournalEntry.submitted_by))) == {"alice"}
    finally:
        db.dispose()
    second = make_wheel(tmp_path / "in", "demo", "2.0")
    refused = runner.invoke(import_command, [str(second), "--user", "bob",
                                             "--data-dir", str(data)])
    assert refused.exit_code != 0
    assert (f"refused {second.name} [-] The user 'bob' isn't allowed to upload to project "
            "'demo'.\n") in refused.stderr


def test_the_boundary_prints_the_words_and_exits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    data = index_with_users(tmp_path, "alice", "bob")
    monkeypatch.setattr(sys, "argv", ["strongroom", "admin", "token", "create", "--user", "alice",
                                      "--project", "no-such", "--data-dir", str(data)])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 4
    assert "error: no project named 'no-such': a token can be limited only" in (
        capsys.readouterr().err)
