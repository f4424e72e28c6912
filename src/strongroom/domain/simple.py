"""The simple repository API's pages (PEP 503/691/592/658/714/700/740/792), rendered to bytes.

The view dataclasses are what the read side loads from the database; the renderers are pure. API
version 1.4: HTML with ``pypi:repository-version`` and ``pypi:project-status`` metas, JSON with
``meta``, ``project-status``, ``versions`` and per-file ``size``/``upload-time``. A quarantined
project lists no versions and no files (PEP 792). File URLs are absolute paths on the same host.
A file with provenance (PEP 740, part of API version 1.3, so within 1.4) links it with
``data-provenance`` and ``provenance``: a fully qualified URL, as the spec asks, built on the
index's configured base URL; a file without stays as it was (no attribute, ``null``).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from html import escape
from typing import Any
from urllib.parse import quote

from packaging.version import Version

API_VERSION = "1.4"
QUARANTINED = "quarantined"
_BATCH = 1000  # root-page rows encoded per step


@dataclass(frozen=True)
class FileView:
    """One distribution file, with the yank state of its release."""

    filename: str
    version: str
    packagetype: str
    python_version: str
    size: int
    sha256: str
    blake2_256: str
    md5: str
    upload_time: dt.datetime
    requires_python: str | None
    metadata_sha256: str | None
    yanked: bool
    yanked_reason: str
    comment: str | None = None
    # (rule, message) of each upload rule the file breaks, tolerated when it was imported.
    warnings: tuple[tuple[str, str], ...] = ()
    # Whether the file has a PEP 740 provenance object, and how its provenance breaks with
    # the release uploaded before its own: (``lost`` or ``changed``, that release's version).
    has_provenance: bool = False
    provenance_change: tuple[str, str] | None = None

    @property
    def path(self) -> str:
        """The file's absolute-path URL: ``/packages/ab/cd/<rest of sha256>/<filename>``."""
        h = self.sha256
        return f"/packages/{h[:2]}/{h[2:4]}/{h[4:]}/{quote(self.filename)}"

    def provenance_url(self, project: str, base_url: str) -> str | None:
        """Where the Integrity API serves the file's provenance, under ``base_url``: ``<base>/
        integrity/<project>/<version>/<filename>/provenance``; None without provenance."""
        if not self.has_provenance:
            return None
        parts = "/".join(quote(part, safe="") for part in (project, self.version, self.filename))
        return f"{base_url}/integrity/{parts}/provenance"


@dataclass(frozen=True)
class ReleaseView:
    """One release and its files (sorted by filename). Its core metadata is not here: only the
    JSON API shows it, for one release at a time (``jsonapi.MetadataOf``)."""

    version: str
    yanked: bool
    yanked_reason: str
    requires_python: str | None
    created: dt.datetime
    files: tuple[FileView, ...] = ()


@dataclass(frozen=True)
class ProjectView:
    """A project as the read APIs show it; ``releases`` is sorted by version, oldest first."""

    name: str
    normalized_name: str
    status: str
    status_reason: str | None
    last_serial: int
    releases: tuple[ReleaseView, ...] = field(default=())

    @property
    def is_quarantined(self) -> bool:
        """Whether downloads are withheld (PEP 792 ``quarantined``)."""
        return self.status == QUARANTINED

    @property
    def visible_releases(self) -> tuple[ReleaseView, ...]:
        """The releases the APIs may show: none at all while quarantined."""
        return () if self.is_quarantined else self.releases


@dataclass(frozen=True)
class IndexEntry:
    """One row of the root page."""

    name: str
    normalized_name: str
    last_serial: int


def version_key(version: str) -> tuple[int, Version | str]:
    """Sort key in packaging's version order; strings that are not versions sort first."""
    try:
        return (1, Version(version))
    except ValueError:  # InvalidVersion, or a number too long for int()
        return (0, version)


def sorted_releases(releases: Iterable[ReleaseView]) -> tuple[ReleaseView, ...]:
    """Releases ordered by packaging's version order, oldest first."""
    return tuple(sorted(releases, key=lambda r: version_key(r.version)))


def upload_time_text(when: dt.datetime) -> str:
    """``yyyy-mm-ddThh:mm:ss.ffffffZ`` in UTC, as PEP 700 asks."""
    return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _dumps(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def _html_head(title: str, metas: list[tuple[str, str]]) -> str:
    head = "".join(
        f'    <meta name="{escape(n)}" content="{escape(c)}">\n' for n, c in metas
    )
    return (
        "<!DOCTYPE html>\n<html>\n  <head>\n"
        f"{head}    <title>{escape(title)}</title>\n  </head>\n  <body>\n"
        f"    <h1>{escape(title)}</h1>\n"
    )


def _html_tail(serial: int) -> str:
    return f"  </body>\n</html>\n<!--SERIAL {int(serial)}-->\n"


def _html_page(title: str, metas: list[tuple[str, str]], body: list[str], serial: int) -> bytes:
    lines = "".join(f"    {line}<br />\n" for line in body)
    return (_html_head(title, metas) + lines + _html_tail(serial)).encode()


def _encoded_batches(parts: Iterable[str]) -> Iterator[bytes]:
    """``parts`` encoded ``_BATCH`` at a time, so no list of every part is ever held."""
    batch: list[str] = []
    for part in parts:
        batch.append(part)
        if len(batch) == _BATCH:
            yield "".join(batch).encode()
            batch.clear()
    if batch:
        yield "".join(batch).encode()


def render_index_html(entries: Iterable[IndexEntry], serial: int) -> bytes:
    """The root page as HTML: one anchor per project, linking to ``<normalized>/``.

    ``entries`` is consumed once, in order, a batch at a time: pass a stream of database rows
    and the only large object built is the page itself.
    """
    lines = (
        f'    <a href="{escape(quote(e.normalized_name))}/">{escape(e.name)}</a><br />\n'
        for e in entries
    )
    head = _html_head("Simple index", [("pypi:repository-version", API_VERSION)])
    return b"".join([head.encode(), *_encoded_batches(lines), _html_tail(serial).encode()])


def render_index_json(entries: Iterable[IndexEntry], serial: int) -> bytes:
    """The root page as PEP 691 JSON, with each project's ``_last-serial``.

    Streams ``entries`` like ``render_index_html``; the bytes are exactly those of one
    ``json.dumps`` of the whole document.
    """
    meta = _dumps({"api-version": API_VERSION, "_last-serial": serial})
    items = (
        f'{"," if i else ""}{{"name":{json.dumps(e.name, ensure_ascii=False)},'
        f'"_last-serial":{int(e.last_serial)}}}'
        for i, e in enumerate(entries)
    )
    return b"".join([b'{"meta":', meta, b',"projects":[', *_encoded_batches(items), b"]}"])


def _files(project: ProjectView) -> list[FileView]:
    return [f for release in project.visible_releases for f in release.files]


def _anchor(f: FileView, project: str, base_url: str) -> str:
    attrs = [f'href="{escape(f.path)}#sha256={escape(f.sha256)}"']
    if f.requires_python:
        attrs.append(f'data-requires-python="{escape(f.requires_python)}"')
    if f.yanked:
        attrs.append(f'data-yanked="{escape(f.yanked_reason)}"')
    if f.metadata_sha256:
        digest = escape(f"sha256={f.metadata_sha256}")
        attrs.append(f'data-dist-info-metadata="{digest}"')
        attrs.append(f'data-core-metadata="{digest}"')
    provenance = f.provenance_url(project, base_url)
    if provenance is not None:
        attrs.append(f'data-provenance="{escape(provenance)}"')
    return f"<a {' '.join(attrs)}>{escape(f.filename)}</a>"


def render_project_html(project: ProjectView, base_url: str = "") -> bytes:
    """A project's detail page as HTML (the same bytes serve ``text/html`` and v1 HTML);
    ``base_url`` (scheme and host, no trailing slash) starts provenance URLs."""
    metas = [("pypi:repository-version", API_VERSION)]
    if project.status != "active":
        metas.append(("pypi:project-status", project.status))
        if project.status_reason:
            metas.append(("pypi:project-status-reason", project.status_reason))
    anchors = [_anchor(f, project.normalized_name, base_url) for f in _files(project)]
    return _html_page(f"Links for {project.name}", metas, anchors, project.last_serial)


def _yanked_value(f: FileView) -> bool | str:
    if not f.yanked:
        return False
    return f.yanked_reason or True


def _file_json(f: FileView, project: str, base_url: str) -> dict[str, Any]:
    metadata: dict[str, str] | bool = (
        {"sha256": f.metadata_sha256} if f.metadata_sha256 else False
    )
    return {
        "filename": f.filename,
        "url": f.path,
        "hashes": {"sha256": f.sha256},
        "requires-python": f.requires_python,
        "size": f.size,
        "upload-time": upload_time_text(f.upload_time),
        "yanked": _yanked_value(f),
        "core-metadata": metadata,
        "data-dist-info-metadata": metadata,
        "provenance": f.provenance_url(project, base_url),
    }


def render_project_json(project: ProjectView, base_url: str = "") -> bytes:
    """A project's detail page as PEP 691 JSON (api-version 1.4); ``base_url`` as in
    ``render_project_html``."""
    status: dict[str, str] = {"status": project.status}
    if project.status_reason:
        status["reason"] = project.status_reason
    releases = project.visible_releases
    return _dumps(
        {
            "meta": {"api-version": API_VERSION, "_last-serial": project.last_serial},
            "name": project.normalized_name,
            "project-status": status,
            "versions": [r.version for r in releases],
            "files": [_file_json(f, project.normalized_name, base_url)
                      for f in _files(project)],
        }
    )
