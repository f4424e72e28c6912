"""Exporting the simple index as static files, for a plain web server or a mirror's disk layout.

Layout (bandersnatch's naming): ``<root>/simple/index.html`` and ``index.v1_json`` for the root
page, ``<root>/simple/<normalised project>/index.html`` and ``index.v1_json`` for every project
(quarantined ones too, as the server answers for them). The bytes are the ones the server sends:
the same loaders and renderers ``IndexReader`` uses. Each file is replaced by rename, so a web
server reading the tree while an export runs never sees a partial file.

Each page is read in its own transaction: an export taken while uploads arrive is consistent per
page, not across pages. Write projects before the root page, so every project the root lists has
its page already (projects created during the export may be listed without one until the next).

``follow`` keeps an export current: each time the change feed moves, it rewrites the pages of the
projects the journal names since the last pass, then the root page.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from strongroom.db import journal
from strongroom.db.engine import Database
from strongroom.domain.simple import (
    render_index_html,
    render_index_json,
    render_project_html,
    render_project_json,
)
from strongroom.errors import NotFound
from strongroom.index.changes import ChangeFeed
from strongroom.index.views import load_index, load_project
from strongroom.projects import Project

HTML_NAME = "index.html"
JSON_NAME = "index.v1_json"


def _write_atomically(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".export-")
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(body)
        tmp.chmod(0o644)  # mkstemp's 0600 would hide the page from a web server's user
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def project_names(db: Database) -> list[str]:
    """Every project's normalised name, sorted: the pages ``write_project`` can export."""
    with db.read() as session:
        return list(session.scalars(select(Project.normalized_name).order_by(
            Project.normalized_name)))


def write_project(db: Database, root: Path, project: str, *, base_url: str = "") -> None:
    """Write ``<root>/simple/<project>/`` in HTML and JSON, provenance URLs starting with
    ``base_url`` (the index's, as the server's pages have them); NotFound if the project is
    unknown."""
    with db.read() as session:
        view = load_project(session, project)
    if view is None:
        raise NotFound(f"no project {project!r}")
    directory = root / "simple" / view.normalized_name
    _write_atomically(directory / HTML_NAME, render_project_html(view, base_url))
    _write_atomically(directory / JSON_NAME, render_project_json(view, base_url))


def write_index(db: Database, root: Path) -> int:
    """Write ``<root>/simple/`` in HTML and JSON; returns the serial the JSON page shows.

    Each format is rendered inside its own read (the rows may be a stream tied to the session).
    """
    pages = ((HTML_NAME, render_index_html), (JSON_NAME, render_index_json))
    serial = 0
    for name, render in pages:
        with db.read() as session:
            entries, serial = load_index(session)
            body = render(entries, serial)
        _write_atomically(root / "simple" / name, body)
    return serial


@dataclass(frozen=True)
class Refresh:
    """One pass of ``follow``: the serial it caught up to and the project pages it rewrote
    (``removed``: projects that no longer exist, whose pages it deleted)."""

    serial: int
    rewritten: tuple[str, ...]
    removed: tuple[str, ...]


def follow(db: Database, feed: ChangeFeed, root: Path, since: int, *, interval: float,
           stop: threading.Event | None = None, base_url: str = "") -> Iterator[Refresh]:
    """Keep the export under ``root``, complete as of serial ``since``, current (``base_url``
    as ``write_project`` takes it).

    Every ``interval`` seconds the feed is checked; when it moved, the projects with journal
    entries after the last serial handled are rewritten, then the root page, and a ``Refresh``
    is yielded. Runs until ``stop`` is set (or the caller stops iterating).
    """
    stop = stop or threading.Event()
    seen = since
    while not stop.wait(interval):
        current = feed.current()
        if current <= seen:
            continue
        with db.read() as session:
            changed = sorted(journal.projects_changed_since(session, seen))
        rewritten, removed = [], []
        for project in changed:
            try:
                write_project(db, root, project, base_url=base_url)
                rewritten.append(project)
            except NotFound:
                shutil.rmtree(root / "simple" / project, ignore_errors=True)
                removed.append(project)
        write_index(db, root)
        # Entries committed after ``current`` was read were exported too; the next pass
        # rewrites them again, which is harmless.
        seen = current
        yield Refresh(current, tuple(rewritten), tuple(removed))
