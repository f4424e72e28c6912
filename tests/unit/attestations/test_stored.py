"""How a file's provenance is stored and compared with the release before, and who is told:
a release whose publisher changed (or whose provenance was lost) is flagged, recorded in the
security history, and its owners are mailed once per release at their verified addresses."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from sqlalchemy import select

from strongroom.accounts import AccountService
from strongroom.accounts.models import Email
from strongroom.attestations import Change, PreviousRelease, ProvenanceNotices
from strongroom.attestations.stored import compare
from strongroom.config import load_settings
from strongroom.db.engine import Database
from strongroom.domain.principals import Principal, PrincipalKind
from strongroom.history import History
from strongroom.mail import open_sender
from strongroom.projects import Project, Role
from tests.attestations import SIGNED, attach, verified
from tests.readside import Index
from tests.smtp import SmtpServer

GITHUB_KEY = verified(SIGNED[0]).publisher
MODELS_KEY = verified(SIGNED[2]).publisher


@pytest.mark.parametrize(("publisher", "previous", "expected"), [
    (GITHUB_KEY, None, None),  # a first release
    (None, None, None),
    (None, PreviousRelease("1.0", frozenset()), None),  # the release before had none
    (GITHUB_KEY, PreviousRelease("1.0", frozenset()), None),  # gained: nothing to flag
    (GITHUB_KEY, PreviousRelease("1.0", frozenset({GITHUB_KEY})), None),
    (GITHUB_KEY, PreviousRelease("1.0", frozenset({GITHUB_KEY, MODELS_KEY})), None),
    (None, PreviousRelease("1.0", frozenset({GITHUB_KEY})), Change.LOST),
    (MODELS_KEY, PreviousRelease("1.0", frozenset({GITHUB_KEY})), Change.CHANGED),
])
def test_compare(publisher: str | None, previous: PreviousRelease | None,
                 expected: Change | None) -> None:
    assert compare(publisher, previous) is expected


def test_another_publisher_is_flagged_changed_and_recorded(database: Database,
                                                           tmp_path: Path) -> None:
    index = Index(database, tmp_path)
    index.release("demo", "1.0")
    index.release("demo", "2.0")
    mallory = Principal(PrincipalKind.PUBLISHER, "GitHub publisher mallory/demo",
                        publisher_id=7)
    assert attach(database, "demo-1.0-py3-none-any.whl", verified(SIGNED[0])) is None
    change = attach(database, "demo-2.0-py3-none-any.whl", verified(SIGNED[2]),
                    previous=PreviousRelease("1.0", frozenset({GITHUB_KEY})), by=mallory)
    assert change is not None
    assert (change.change, change.project, change.version, change.previous_version,
            change.uploader, change.first_in_release) == (
        Change.CHANGED, "demo", "2.0", "1.0", "GitHub publisher mallory/demo", True)
    event, = History(database).for_project("demo", limit=5)
    assert (event.kind, event.user_id, event.username) == (
        "provenance.changed", None, "GitHub publisher mallory/demo")
    assert event.details["publisher"]["repository"] == "trailofbits/pypi-attestation-models"
    assert [p["repository"] for p in event.details["previous_publishers"]] == [
        "trailofbits/pypi-attestations"]


def _owner(database: Database, username: str, *, role: str = "Owner",
           verified_address: bool = True) -> None:
    user = AccountService(database).create_user(username, email=f"{username}@example.org",
                                                password="a long enough password")
    with database.write() as session:
        project = session.scalars(select(Project).where(Project.normalized_name == "demo")).one()
        session.add(Role(project_id=project.id, user_id=user.id, role=role))
        session.scalars(select(Email).where(Email.user_id == user.id)).one().verified = (
            verified_address)


def test_owners_are_mailed_once_per_release_at_verified_addresses(
        database: Database, tmp_path: Path, smtp_server: SmtpServer) -> None:
    index = Index(database, tmp_path)
    index.release("demo", "1.0")
    index.release("demo", "2.0")
    _owner(database, "olga")
    _owner(database, "otto", verified_address=False)
    _owner(database, "mia", role="Maintainer")
    attach(database, "demo-1.0-py3-none-any.whl", verified(SIGNED[0]))
    change = attach(database, "demo-2.0-py3-none-any.whl", None,
                    previous=PreviousRelease("1.0", frozenset({GITHUB_KEY})))
    assert change is not None
    settings = load_settings(environ={"STRONGROOM_SMTP_URL": smtp_server.url})
    notices = ProvenanceNotices(database, open_sender(settings), mail_from="idx@example.org",
                                base_url="https://idx.example.org")
    assert notices.tell(change) == 1
    mail, = smtp_server.wait_for(1)
    assert mail["To"] == "olga@example.org"
    assert mail["Subject"] == "Provenance of demo 2.0 lost"
    text = mail.get_content()
    assert "demo-2.0-py3-none-any.whl was published without provenance" in text
    assert "GitHub publisher (repository trailofbits/pypi-attestations, workflow " in text
    assert "https://idx.example.org/account/projects/demo" in text
    # A second file of the release flagged so: the owners already know.
    assert notices.tell(dataclasses.replace(change, first_in_release=False)) == 0
    assert len(smtp_server.messages) == 1
