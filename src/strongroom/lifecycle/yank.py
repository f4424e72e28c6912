"""Yanking (PEP 592): a yanked release stays installable by exact pin but is skipped otherwise."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from packaging.utils import canonicalize_version
from packaging.version import Version
from sqlalchemy import select

from strongroom.db import journal
from strongroom.db.engine import Database
from strongroom.domain.names import normalize
from strongroom.errors import InvalidInput, NotFound
from strongroom.projects import Project, journal_changes
from strongroom.upload import Release


class YankService:
    """Marks releases yanked or not, journaling each change."""

    def __init__(
        self,
        db: Database,
        *,
        on_commit: Callable[[journal.Written], None],
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
    ) -> None:
        self._db = db
        self._on_commit = on_commit
        self._clock = clock

    def yank(self, project: str, version: str, *, reason: str, actor: str) -> int | None:
        """Yank a release with a reason; returns the new serial, or None if nothing changed.

        Raises NotFound for an unknown project or version, InvalidInput for a malformed version.
        """
        return self._set(project, version, yanked=True, reason=reason.strip(), actor=actor)

    def unyank(self, project: str, version: str, *, actor: str) -> int | None:
        """Undo a yank; returns the new serial, or None if the release was not yanked."""
        return self._set(project, version, yanked=False, reason="", actor=actor)

    def _set(self, project: str, version: str, *, yanked: bool, reason: str, actor: str
             ) -> int | None:
        try:
            canonical = canonicalize_version(Version(version))
        except ValueError as exc:  # InvalidVersion, or a number too long for int()
            raise InvalidInput(f"version {version!r}: not a valid PEP 440 version") from exc
        with self._db.write() as session:
            name = normalize(project)
            row = session.scalar(select(Project).where(Project.normalized_name == name))
            if row is None:
                raise NotFound(f"no project named {project!r}")
            release = session.scalar(select(Release).where(
                Release.project_id == row.id, Release.canonical_version == canonical))
            if release is None:
                raise NotFound(f"project {row.name!r} has no release {version!r}")
            if release.yanked == yanked and release.yanked_reason == reason:
                return None
            release.yanked, release.yanked_reason = yanked, reason
            action = "yank release" if yanked else "unyank release"
            version_written = release.version
            session.flush()
            serial = journal_changes(
                session.connection(), project=name,
                changes=[journal.Change(action, version=version_written)],
                now=self._clock(), submitted_by=actor,
            )
        self._on_commit(journal.Written(serial, {name: frozenset({version_written})}))
        return serial
