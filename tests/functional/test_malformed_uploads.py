"""Every malformed upload gets a 4xx with a message that says what is wrong, and leaves no trace:
no row, no blob, no journal entry, no change to any page."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.functional.server import LiveIndex
from tests.functional.uploads import post_upload
from tests.malformed import CASES, MalformedCase, form

pytestmark = pytest.mark.functional


@pytest.fixture(scope="module")
def uploader(index: LiveIndex) -> str:
    index.create_user("mallory")
    return index.token("mallory")


def _trace(index: LiveIndex) -> tuple[str, str, list[str]]:
    root = httpx.get(f"{index.url}/simple/",
                     headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    blobs = sorted(str(p.relative_to(index.data_dir)) for p in (index.data_dir / "files").rglob("*")
                   if p.is_file())
    return root.headers["X-PyPI-Last-Serial"], root.text, blobs


def test_the_corpus_is_large_and_distinct() -> None:
    assert len(CASES) >= 40
    assert len({case.id for case in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_malformed_upload_is_refused_without_trace(index: LiveIndex, uploader: str,
                                                   case: MalformedCase, tmp_path: Path) -> None:
    filename, data, fields = case.build(tmp_path)
    before = _trace(index)
    response = post_upload(index.url, uploader, filename,
                           None if fields.get("content") is None else data, form(fields))
    assert response.status_code == case.status, response.text
    assert case.message in response.reason_phrase, response.reason_phrase
    assert case.message in response.text
    assert _trace(index) == before
    project = httpx.get(f"{index.url}/pypi/{case.name}/json")
    assert project.status_code == 404
