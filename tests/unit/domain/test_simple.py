"""Simple API renderers, checked by parsing the output with the pypi_simple client library."""

from __future__ import annotations

import datetime as dt
import json

import pypi_simple
from pypi_simple import IndexPage, ProjectPage

from strongroom.domain.simple import (
    FileView,
    IndexEntry,
    ProjectView,
    ReleaseView,
    render_index_html,
    render_index_json,
    render_project_html,
    render_project_json,
    sorted_releases,
)

WHEN = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)


def _file(filename: str, version: str, sha: str, *, metadata: str | None = None,
          requires_python: str | None = None, yanked: bool = False, reason: str = "") -> FileView:
    return FileView(
        filename=filename, version=version, packagetype="bdist_wheel", python_version="py3",
        size=1234, sha256=sha * 64, blake2_256="b" * 64, md5="c" * 32, upload_time=WHEN,
        requires_python=requires_python, metadata_sha256=metadata, yanked=yanked,
        yanked_reason=reason,
    )


def _release(version: str, *files: FileView, yanked: bool = False, reason: str = "") -> ReleaseView:
    return ReleaseView(version=version, yanked=yanked, yanked_reason=reason,
                       requires_python=None, created=WHEN, files=files)


def _project(status: str = "active", reason: str | None = None) -> ProjectView:
    releases = sorted_releases([
        _release("1.10", _file("Frob-1.10-py3-none-any.whl", "1.10", "a",
                               metadata="d" * 64, requires_python=">=3.8,<4")),
        _release("1.9", _file("frob-1.9.tar.gz", "1.9", "e")),
        _release("2.0rc1", _file("frob-2.0rc1-py3-none-any.whl", "2.0rc1", "f", yanked=True,
                                 reason='broken "quote" <b>'), yanked=True,
                 reason='broken "quote" <b>'),
        _release("0.1", _file("frob-0.1.tar.gz", "0.1", "1", yanked=True), yanked=True),
    ])
    return ProjectView(name="Frob", normalized_name="frob", status=status, status_reason=reason,
                       last_serial=42, releases=releases)


def _by_name(page: ProjectPage) -> dict[str, pypi_simple.DistributionPackage]:
    return {p.filename: p for p in page.packages}


def test_versions_sorted_by_packaging_order() -> None:
    data = json.loads(render_project_json(_project()))
    assert data["versions"] == ["0.1", "1.9", "1.10", "2.0rc1"]


def test_project_json_round_trips_through_pypi_simple() -> None:
    data = json.loads(render_project_json(_project()))
    assert data["meta"] == {"api-version": "1.4", "_last-serial": 42}
    assert data["project-status"] == {"status": "active"}
    page = ProjectPage.from_json_data(data, base_url="https://example.test/simple/frob/")
    assert page.project == "frob"
    assert page.repository_version == "1.4"
    assert page.last_serial == "42"
    assert page.status is not None
    assert page.status.value == "active"
    packages = _by_name(page)
    wheel = packages["Frob-1.10-py3-none-any.whl"]
    assert wheel.url == (
        "https://example.test/packages/aa/aa/" + "a" * 60 + "/Frob-1.10-py3-none-any.whl"
    )
    assert wheel.digests == {"sha256": "a" * 64}
    assert wheel.requires_python == ">=3.8,<4"
    assert wheel.has_metadata is True
    assert wheel.metadata_digests == {"sha256": "d" * 64}
    assert wheel.size == 1234
    assert wheel.upload_time == WHEN
    assert wheel.is_yanked is False
    assert wheel.provenance_url is None
    assert packages["frob-1.9.tar.gz"].has_metadata is False
    rc = packages["frob-2.0rc1-py3-none-any.whl"]
    assert rc.is_yanked is True
    assert rc.yanked_reason == 'broken "quote" <b>'
    assert packages["frob-0.1.tar.gz"].is_yanked is True
    assert packages["frob-0.1.tar.gz"].yanked_reason is None


def test_project_json_file_shape() -> None:
    files = json.loads(render_project_json(_project()))["files"]
    wheel = next(f for f in files if f["filename"] == "Frob-1.10-py3-none-any.whl")
    assert wheel["upload-time"] == "2024-05-06T07:08:09.123456Z"
    assert wheel["core-metadata"] == wheel["data-dist-info-metadata"] == {"sha256": "d" * 64}
    assert wheel["yanked"] is False
    sdist = next(f for f in files if f["filename"] == "frob-1.9.tar.gz")
    assert sdist["core-metadata"] is False
    assert sdist["requires-python"] is None
    assert next(f for f in files if f["filename"] == "frob-0.1.tar.gz")["yanked"] is True


def test_project_html_round_trips_through_pypi_simple() -> None:
    html = render_project_html(_project())
    page = ProjectPage.from_html("frob", html, base_url="https://example.test/simple/frob/")
    assert page.repository_version == "1.4"
    assert page.status is None
    packages = _by_name(page)
    assert set(packages) == {
        "Frob-1.10-py3-none-any.whl", "frob-1.9.tar.gz", "frob-2.0rc1-py3-none-any.whl",
        "frob-0.1.tar.gz",
    }
    wheel = packages["Frob-1.10-py3-none-any.whl"]
    assert wheel.url.startswith("https://example.test/packages/aa/aa/")
    assert wheel.digests == {"sha256": "a" * 64}
    assert wheel.requires_python == ">=3.8,<4"
    assert wheel.metadata_digests == {"sha256": "d" * 64}
    assert wheel.is_yanked is False
    assert packages["frob-2.0rc1-py3-none-any.whl"].yanked_reason == 'broken "quote" <b>'
    assert packages["frob-0.1.tar.gz"].yanked_reason == ""
    assert packages["frob-1.9.tar.gz"].has_metadata is None
    assert b"&gt;=3.8,&lt;4" in html
    assert b"<b>" not in html
    assert html.rstrip().endswith(b"<!--SERIAL 42-->")
    assert b'data-dist-info-metadata="sha256=' + b"d" * 64 + b'"' in html


def test_project_status_markers() -> None:
    project = _project("archived", 'moved to "frob2" <soon>')
    page = ProjectPage.from_html("frob", render_project_html(project))
    assert page.status is not None
    assert page.status.value == "archived"
    assert page.status_reason == 'moved to "frob2" <soon>'
    data = json.loads(render_project_json(project))
    assert data["project-status"] == {"status": "archived", "reason": 'moved to "frob2" <soon>'}
    assert len(data["files"]) == 4


def test_quarantined_project_offers_no_files() -> None:
    project = _project("quarantined")
    data = json.loads(render_project_json(project))
    assert data["files"] == []
    assert data["versions"] == []
    assert data["project-status"] == {"status": "quarantined"}
    page = ProjectPage.from_html("frob", render_project_html(project))
    assert page.packages == []
    assert page.status is not None
    assert page.status.value == "quarantined"


def test_index_round_trips() -> None:
    entries = [IndexEntry("Frob", "frob", 3), IndexEntry("a<b", "a-b", 9)]
    data = json.loads(render_index_json(entries, 12))
    assert data == {
        "meta": {"api-version": "1.4", "_last-serial": 12},
        "projects": [{"name": "Frob", "_last-serial": 3}, {"name": "a<b", "_last-serial": 9}],
    }
    assert IndexPage.from_json_data(data).projects == ["Frob", "a<b"]
    html = render_index_html(entries, 12)
    page = IndexPage.from_html(html)
    assert page.projects == ["Frob", "a<b"]
    assert page.repository_version == "1.4"
    assert b'href="frob/"' in html
    assert b"a&lt;b" in html
