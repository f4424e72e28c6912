"""Errors carry the objects they are about, and say which of them their message leaves
unnamed."""

from __future__ import annotations

from strongroom.domain.principals import Principal, PrincipalKind
from strongroom.errors import Conflict, Forbidden, NotFound, Problem, UploadRejected

ALICE = Principal(PrincipalKind.USER, name="alice", user_id=1, token_id="t1")


def test_an_error_carries_nothing_unless_told() -> None:
    error = NotFound("gone")
    assert (error.project, error.filename, error.principal) == (None, None, None)
    assert error.unnamed() == []


def test_unnamed_lists_the_objects_the_message_does_not_name_in_order() -> None:
    error = Conflict("Only one sdist may be uploaded per release.", project="Demo",
                     filename="demo-1.0.tar.gz", principal=ALICE)
    assert error.unnamed() == ["project", "filename", "principal"]
    named = Forbidden("The user 'alice' isn't allowed to upload to project 'demo'.",
                      project="demo", principal=ALICE)
    assert named.unnamed() == []
    token = Forbidden("The given token isn't allowed to upload to project 'demo'",
                      project="demo", principal=ALICE)
    assert token.unnamed() == ["principal"]


def test_naming_ignores_case() -> None:
    error = UploadRejected([Problem("content", "File too large. Limit for project 'Big-Lib' "
                                               "is 1 MiB.")], project="big-lib")
    assert error.unnamed() == []
    assert error.message.startswith("content: File too large.")


def test_an_upload_rejection_carries_its_problems_and_objects() -> None:
    problems = [Problem("version", "bad"), Problem("name", "worse")]
    error = UploadRejected(problems, project="demo", filename="demo-1.0.tar.gz",
                           principal=ALICE)
    assert error.problems == problems
    assert error.message == "version: bad; name: worse"
    assert (error.project, error.filename, error.principal) == (
        "demo", "demo-1.0.tar.gz", ALICE)
