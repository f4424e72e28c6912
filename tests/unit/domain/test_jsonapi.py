"""PyPI's JSON API documents."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

from strongroom.domain.advisories import Advisory, Affected, Event, Range
from strongroom.domain.jsonapi import (
    find_release,
    latest_release,
    render_project_document,
    render_release_document,
    vulnerabilities,
)
from strongroom.domain.simple import FileView, ProjectView, ReleaseView, sorted_releases

WHEN = dt.datetime(2024, 5, 6, 7, 8, 9, 500, tzinfo=dt.UTC)
BASE = "https://idx.test"
METADATA: dict[str, Any] = {
    "metadata_version": "2.4", "name": "Frob", "version": "1.0", "summary": "Frobs things",
    "description": "# Frob", "description_content_type": "text/markdown",
    "keywords": ["a", "b"], "license_expression": "MIT", "license_files": ["LICENSE"],
    "classifiers": ["Programming Language :: Python"], "author": "Ann",
    "author_email": "ann@example.test", "requires_python": ">=3.9",
    "requires_dist": ["attrs>=22"], "provides_extra": ["fast"],
    "project_urls": {"Source": "https://example.test/src"}, "platforms": ["any", "linux"],
}


def _file(filename: str, version: str, *, yanked: bool = False) -> FileView:
    return FileView(
        filename=filename, version=version, packagetype="sdist", python_version="source",
        size=10, sha256="a" * 64, blake2_256="b" * 64, md5="c" * 32, upload_time=WHEN,
        requires_python=">=3.9", metadata_sha256=None, yanked=yanked,
        yanked_reason="bad" if yanked else "", comment=None,
    )


def _release(version: str, *, yanked: bool = False) -> ReleaseView:
    return ReleaseView(
        version=version, yanked=yanked, yanked_reason="bad" if yanked else "",
        requires_python=">=3.9", created=WHEN,
        files=(_file(f"frob-{version}.tar.gz", version, yanked=yanked),),
    )


class _MetadataOf:
    """Core metadata by version, remembering which versions were asked for."""

    def __init__(self, metadata: dict[str, dict[str, Any]] | None = None) -> None:
        self.metadata = metadata or {}
        self.asked: list[str] = []

    def __call__(self, version: str) -> dict[str, Any]:
        self.asked.append(version)
        return self.metadata.get(version, {})


def _project(*releases: ReleaseView, status: str = "active") -> ProjectView:
    return ProjectView("Frob", "frob", status, None, 7, sorted_releases(releases))


def _latest(*releases: ReleaseView) -> str | None:
    release = latest_release(_project(*releases))
    return None if release is None else release.version


def test_latest_prefers_unyanked_then_final_then_highest() -> None:
    assert _latest(_release("1.0"), _release("2.0", yanked=True)) == "1.0"
    assert _latest(_release("1.0"), _release("2.0b1")) == "1.0"
    assert _latest(_release("1.0"), _release("1.10")) == "1.10"
    assert _latest(_release("2.0b1"), _release("1.0", yanked=True)) == "2.0b1"
    assert _latest() is None


def test_find_release_by_exact_or_normalised_version() -> None:
    project = _project(_release("1.0"), _release("2.0rc1"))
    assert find_release(project, "2.0rc1") is not None
    release = find_release(project, "2.0-RC1")
    assert release is not None
    assert release.version == "2.0rc1"
    assert find_release(project, "3.0") is None
    assert find_release(project, "not a version") is None


def test_project_document() -> None:
    project = _project(_release("1.0"), _release("0.9"), _release("2.0a1"))
    metadata_of = _MetadataOf({"1.0": METADATA})
    document = render_project_document(project, BASE, metadata_of)
    assert document is not None
    assert metadata_of.asked == ["1.0"]  # only the release ``info`` shows
    data = json.loads(document)
    assert set(data) == {"info", "last_serial", "releases", "urls", "vulnerabilities"}
    assert data["last_serial"] == 7
    assert data["vulnerabilities"] == []
    assert list(data["releases"]) == ["0.9", "1.0", "2.0a1"]
    info = data["info"]
    assert info["name"] == "Frob"
    assert info["version"] == "1.0"
    assert info["summary"] == "Frobs things"
    assert info["keywords"] == "a,b"
    assert info["platform"] == "any, linux"
    assert info["license_expression"] == "MIT"
    assert info["license_files"] == ["LICENSE"]
    assert info["classifiers"] == ["Programming Language :: Python"]
    assert info["requires_dist"] == ["attrs>=22"]
    assert info["provides_extra"] == ["fast"]
    assert info["dynamic"] is None
    assert info["project_urls"] == {"Source": "https://example.test/src"}
    assert info["requires_python"] == ">=3.9"
    assert info["package_url"] == info["project_url"] == "https://idx.test/project/Frob/"
    assert info["release_url"] == "https://idx.test/project/Frob/1.0/"
    assert info["docs_url"] is None
    assert info["bugtrack_url"] is None
    assert info["downloads"] == {"last_day": -1, "last_month": -1, "last_week": -1}
    assert info["yanked"] is False
    assert info["yanked_reason"] is None
    assert info["home_page"] is None
    (url,) = data["urls"]
    assert url == {
        "comment_text": "",
        "core-metadata": False,
        "digests": {"blake2b_256": "b" * 64, "md5": "c" * 32, "sha256": "a" * 64},
        "downloads": -1,
        "filename": "frob-1.0.tar.gz",
        "has_sig": False,
        "md5_digest": "c" * 32,
        "packagetype": "sdist",
        "python_version": "source",
        "requires_python": ">=3.9",
        "size": 10,
        "upload_time": "2024-05-06T07:08:09",
        "upload_time_iso_8601": "2024-05-06T07:08:09.000500Z",
        "url": "https://idx.test/packages/aa/aa/" + "a" * 60 + "/frob-1.0.tar.gz",
        "yanked": False,
        "yanked_reason": None,
    }


def test_release_document_for_a_yanked_release() -> None:
    project = _project(_release("1.0"), _release("2.0", yanked=True))
    metadata_of = _MetadataOf()
    document = render_release_document(project, "2.0", BASE, metadata_of)
    assert document is not None
    assert metadata_of.asked == ["2.0"]
    data = json.loads(document)
    assert "releases" not in data
    assert data["info"]["version"] == "2.0"
    assert data["info"]["yanked"] is True
    assert data["info"]["yanked_reason"] == "bad"
    assert data["urls"][0]["yanked_reason"] == "bad"
    assert render_release_document(project, "9.9", BASE, _MetadataOf()) is None


def test_quarantined_or_empty_project_has_no_document() -> None:
    assert render_project_document(_project(), BASE, _MetadataOf()) is None
    quarantined = ProjectView("Frob", "frob", "quarantined", None, 7, (_release("1.0"),))
    assert render_project_document(quarantined, BASE, _MetadataOf()) is None
    assert render_release_document(quarantined, "1.0", BASE, _MetadataOf()) is None


def _advisory(record_id: str, *events: tuple[str, str], withdrawn: bool = False,
              versions: tuple[str, ...] = ()) -> Advisory:
    return Advisory(
        id=record_id, modified=WHEN, withdrawn=WHEN if withdrawn else None,
        aliases=("CVE-2024-1",), summary="Frob overflows", details="Long story.",
        link=f"https://osv.dev/vulnerability/{record_id}",
        affected=(Affected("frob", (Range(tuple(Event(k, v) for k, v in events)),),
                           versions),))


ADVISORIES = (
    _advisory("PYSEC-1", ("introduced", "0"), ("fixed", "1.1"), ("fixed", "1.0.5")),
    _advisory("PYSEC-2", ("introduced", "2.0rc1"), ("last_affected", "2.0")),
    _advisory("PYSEC-3", ("introduced", "0"), withdrawn=True),
    _advisory("PYSEC-4", versions=("1.0",)),
)


def test_vulnerabilities_have_pypis_keys_in_pypis_order() -> None:
    found = vulnerabilities(ADVISORIES, "frob", "1.0")
    assert [v["id"] for v in found] == ["PYSEC-1", "PYSEC-4"]
    assert list(found[0]) == ["id", "source", "link", "aliases", "details", "summary",
                              "fixed_in", "withdrawn"]
    assert found[0] == {
        "id": "PYSEC-1", "source": "osv", "link": "https://osv.dev/vulnerability/PYSEC-1",
        "aliases": ["CVE-2024-1"], "details": "Long story.", "summary": "Frob overflows",
        "fixed_in": ["1.0.5", "1.1"], "withdrawn": None}


@pytest.mark.parametrize(("version", "expected"), [
    ("0.9", ["PYSEC-1"]), ("1.0.5", []), ("1.0.0", ["PYSEC-1", "PYSEC-4"]),
    ("2.0rc1", ["PYSEC-2"]), ("2.0", ["PYSEC-2"]), ("2.0.post1", []), ("2.1", []),
])
def test_vulnerabilities_follow_pep_440(version: str, expected: list[str]) -> None:
    assert [v["id"] for v in vulnerabilities(ADVISORIES, "frob", version)] == expected
    assert vulnerabilities(ADVISORIES, "other", version) == []


def test_documents_list_the_shown_releases_vulnerabilities() -> None:
    project = _project(_release("1.0"), _release("1.1"), _release("2.0"))
    metadata_of = _MetadataOf()
    document = json.loads(render_project_document(project, BASE, metadata_of, ADVISORIES) or b"")
    assert document["info"]["version"] == "2.0"
    assert [v["id"] for v in document["vulnerabilities"]] == ["PYSEC-2"]
    release = json.loads(render_release_document(project, "1.0", BASE, metadata_of,
                                                 ADVISORIES) or b"")
    assert [v["id"] for v in release["vulnerabilities"]] == ["PYSEC-1", "PYSEC-4"]
    fixed = json.loads(render_release_document(project, "1.1", BASE, metadata_of,
                                               ADVISORIES) or b"")
    assert fixed["vulnerabilities"] == []
