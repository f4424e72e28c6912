"""Who may upload: each refusal has a test that tries to get past it."""

from __future__ import annotations

import pytest

from strongroom.domain.policy import upload_denial


def test_anyone_may_create_a_new_project() -> None:
    assert upload_denial(project="p", exists=False, status="active", role=None,
                         username="u") is None


@pytest.mark.parametrize("role", ["Owner", "Maintainer"])
def test_collaborators_may_upload(role: str) -> None:
    assert upload_denial(project="p", exists=True, status="active", role=role,
                         username="u") is None


@pytest.mark.parametrize("role", [None, "owner", "Reader", ""])
def test_strangers_may_not(role: str | None) -> None:
    denial = upload_denial(project="p", exists=True, status="active", role=role, username="u")
    assert denial == "The user 'u' isn't allowed to upload to project 'p'."


@pytest.mark.parametrize("status", ["archived", "quarantined"])
def test_closed_projects_take_no_uploads_even_from_owners(status: str) -> None:
    denial = upload_denial(project="p", exists=True, status=status, role="Owner", username="u")
    assert denial is not None
    assert status in denial


def test_deprecated_projects_still_take_uploads() -> None:
    assert upload_denial(project="p", exists=True, status="deprecated", role="Owner",
                         username="u") is None
