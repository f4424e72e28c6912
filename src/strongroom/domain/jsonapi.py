"""PyPI's JSON API documents: ``/pypi/<project>/json`` and ``/pypi/<project>/<version>/json``.

``info`` is filled from the shown release's core metadata (packaging's RawMetadata keys), which
the caller supplies through ``metadata_of`` for that one release only; absent fields are null, as
on PyPI. ``downloads`` is always -1, ``has_sig`` always false. ``vulnerabilities`` lists
the advisories (``advisories``, those of the project the caller loaded) that affect the shown
release, by PEP 440 ranges rather than PyPI's exact version strings, each with PyPI's keys in
PyPI's order (``source`` always ``"osv"``; ``withdrawn`` always null, as a withdrawn advisory
matches nothing); the project document's are its latest release's, as on PyPI. A file whose
provenance (PEP 740) breaks with the release uploaded before its own carries
``provenance_change``: ``{"change": "lost" | "changed", "previous_version": ...}`` (files
without such a break have no such key, as on PyPI). URLs are absolute, built on the
``base_url`` the caller passes (scheme and host, no trailing slash). Callers must not pass a
quarantined project's releases (it has none visible).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from packaging.version import Version

from strongroom.domain.advisories import Advisory
from strongroom.domain.simple import (
    FileView,
    ProjectView,
    ReleaseView,
    upload_time_text,
    version_key,
)

MetadataOf = Callable[[str], Mapping[str, Any]]  # a release's version -> its core metadata
_LIST_FIELDS = ("classifiers",)
_OPTIONAL_LIST_FIELDS = ("license_files", "requires_dist", "provides_extra", "dynamic")
_TEXT_FIELDS = (
    "summary", "description", "description_content_type", "license", "license_expression",
    "author", "author_email", "maintainer", "maintainer_email", "home_page", "download_url",
)


def latest_release(project: ProjectView) -> ReleaseView | None:
    """PyPI's "latest": prefer non-yanked, then non-prerelease, then the highest version."""
    releases = project.visible_releases
    if not releases:
        return None

    def rank(release: ReleaseView) -> tuple[bool, bool, tuple[int, Version | str]]:
        try:
            stable = not Version(release.version).is_prerelease
        except ValueError:  # InvalidVersion, or a number too long for int()
            stable = False
        return (not release.yanked, stable, version_key(release.version))

    return max(releases, key=rank)


def find_release(project: ProjectView, version: str) -> ReleaseView | None:
    """The visible release whose version equals ``version`` exactly or after normalisation."""
    for release in project.visible_releases:
        if release.version == version:
            return release
    try:
        wanted = Version(version)
    except ValueError:  # InvalidVersion, or a number too long for int()
        return None
    for release in project.visible_releases:
        if version_key(release.version) == (1, wanted):
            return release
    return None


def _info(project: ProjectView, release: ReleaseView, meta: Mapping[str, Any], base_url: str
          ) -> dict[str, Any]:
    info: dict[str, Any] = {field: meta.get(field) for field in _TEXT_FIELDS}
    info.update({field: list(meta.get(field) or []) for field in _LIST_FIELDS})
    info.update({field: meta.get(field) or None for field in _OPTIONAL_LIST_FIELDS})
    keywords = meta.get("keywords")
    platforms = meta.get("platforms")
    project_url = f"{base_url}/project/{project.name}/"
    info.update(
        name=project.name,
        version=release.version,
        keywords=",".join(keywords) if keywords else None,
        platform=", ".join(platforms) if platforms else None,
        requires_python=release.requires_python or meta.get("requires_python"),
        project_urls=meta.get("project_urls") or None,
        package_url=project_url,
        project_url=project_url,
        release_url=f"{project_url}{release.version}/",
        docs_url=None,
        bugtrack_url=None,
        downloads={"last_day": -1, "last_month": -1, "last_week": -1},
        yanked=release.yanked,
        yanked_reason=release.yanked_reason or None,
    )
    return dict(sorted(info.items()))


def _file(f: FileView, base_url: str) -> dict[str, Any]:
    uploaded = f.upload_time.astimezone(dt.UTC)
    document: dict[str, Any] = {
        "comment_text": f.comment or "",
        "core-metadata": {"sha256": f.metadata_sha256} if f.metadata_sha256 else False,
        "digests": {"blake2b_256": f.blake2_256, "md5": f.md5, "sha256": f.sha256},
        "downloads": -1,
        "filename": f.filename,
        "has_sig": False,
        "md5_digest": f.md5,
        "packagetype": f.packagetype,
        "python_version": f.python_version,
        "requires_python": f.requires_python,
        "size": f.size,
        "upload_time": uploaded.strftime("%Y-%m-%dT%H:%M:%S"),
        "upload_time_iso_8601": upload_time_text(uploaded),
        "url": f"{base_url}{f.path}",
        "yanked": f.yanked,
        "yanked_reason": f.yanked_reason or None,
    }
    if f.warnings:
        # Only files that break an upload rule carry the key (PyPI's documents have none).
        document["warnings"] = [{"rule": rule, "message": message}
                                for rule, message in f.warnings]
    if f.provenance_change is not None:
        change, previous_version = f.provenance_change
        document["provenance_change"] = {"change": change, "previous_version": previous_version}
    return document


def vulnerabilities(advisories: Sequence[Advisory], name: str, version: str
                    ) -> list[dict[str, Any]]:
    """The JSON API's ``vulnerabilities`` of ``version`` of the normalised ``name``: the
    advisories that affect it, in the order given, with PyPI's keys."""
    return [
        {
            "id": advisory.id,
            "source": "osv",
            "link": advisory.link,
            "aliases": list(advisory.aliases),
            "details": advisory.details,
            "summary": advisory.summary,
            "fixed_in": list(advisory.fixed_in(name)),
            "withdrawn": None,
        }
        for advisory in advisories if advisory.affects(name, version)
    ]


def _dumps(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()


def render_project_document(project: ProjectView, base_url: str, metadata_of: MetadataOf,
                            advisories: Sequence[Advisory] = ()) -> bytes | None:
    """``/pypi/<project>/json``: the latest release's info and files, plus every release.

    Returns None when the project has no visible release (PyPI answers 404 then).
    """
    latest = latest_release(project)
    if latest is None:
        return None
    return _dumps(
        {
            "info": _info(project, latest, metadata_of(latest.version), base_url),
            "last_serial": project.last_serial,
            "releases": {
                r.version: [_file(f, base_url) for f in r.files] for r in project.visible_releases
            },
            "urls": [_file(f, base_url) for f in latest.files],
            "vulnerabilities": vulnerabilities(advisories, project.normalized_name,
                                               latest.version),
        }
    )


def render_release_document(project: ProjectView, version: str, base_url: str,
                            metadata_of: MetadataOf, advisories: Sequence[Advisory] = ()
                            ) -> bytes | None:
    """``/pypi/<project>/<version>/json``: one release's info and files; None when unknown."""
    release = find_release(project, version)
    if release is None:
        return None
    return _dumps(
        {
            "info": _info(project, release, metadata_of(release.version), base_url),
            "last_serial": project.last_serial,
            "urls": [_file(f, base_url) for f in release.files],
            "vulnerabilities": vulnerabilities(advisories, project.normalized_name,
                                               release.version),
        }
    )
