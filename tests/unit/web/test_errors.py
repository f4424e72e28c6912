"""Strongroom's errors as HTTP statuses."""

from __future__ import annotations

import pytest

from strongroom.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    StorageUnavailable,
    StrongroomError,
    TooLarge,
    UploadRejected,
)
from strongroom.web.errors import status_for


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
