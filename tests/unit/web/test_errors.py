"""Strongroom's errors as HTTP statuses, and the words of upload refusals."""

from __future__ import annotations

import pytest

from strongroom.domain.principals import Principal, PrincipalKind
from strongroom.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    Problem,
    StorageUnavailable,
    StrongroomError,
    TooLarge,
    UploadRejected,
)
from strongroom.web.errors import status_for, upload_words


@pytest.mark.parametrize(("error", "status"), [
    (TooLarge("big"), 413),
    (UploadRejected([]), 400),
    (InvalidInput("bad"), 400),
    (NotAuthenticated("who"), 403),
    (Forbidden("no"), 403),
    (NotFound("gone"), 404),
    (Conflict("taken"), 409),
    (StorageUnavailable("disk full"), 503),
])
def test_each_error_has_its_status(error: StrongroomError, status: int) -> None:
    assert status_for(error) == status


def test_a_clash_on_the_upload_api_is_a_400_as_on_pypi() -> None:
    assert status_for(Conflict("File already exists"), upload=True) == 400
    assert status_for(StorageUnavailable("disk full"), upload=True) == 503


ALICE = Principal(PrincipalKind.USER, name="alice", user_id=1, token_id="t1")


def test_an_upload_refusal_names_the_principal_its_message_does_not() -> None:
    error = Forbidden("The given token isn't allowed to upload to project 'demo'",
                      project="demo", principal=ALICE)
    assert upload_words(error) == (
        "The given token isn't allowed to upload to project 'demo' (user 'alice')")


@pytest.mark.parametrize("error", [
    # already named: PyPI's text stays as it is
    Forbidden("The user 'alice' isn't allowed to upload to project 'demo'.", project="demo",
              principal=ALICE),
    # the client named the project and the file in its own request
    Conflict("Only one sdist may be uploaded per release.", project="demo",
             filename="demo-1.0.tar.gz"),
    Conflict("File already exists ('demo-1.0.tar.gz', with blake2_256 hash 'ab').",
             filename="demo-1.0.tar.gz"),
    UploadRejected([Problem("version", "bad")], project="demo", filename="demo-1.0.tar.gz"),
    # a caller who is not authenticated learns no account's name
    NotAuthenticated("Invalid API token: expired", project="demo", principal=ALICE),
])
def test_other_upload_refusals_are_their_message_verbatim(error: StrongroomError) -> None:
    assert upload_words(error) == error.message
