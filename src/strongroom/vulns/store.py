"""Saving advisories: one write transaction per batch, newer ``modified`` wins, and a journal
entry for each project on the index whose releases' vulnerability lists change.

Admin work on a few hundred records at a time, so the lookups are Core selects with ``IN``
lists (one per table per batch), and the writes prepared statements run as ``executemany``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from sqlalchemy import Connection, bindparam, delete, select, update

from strongroom.db import journal
from strongroom.db.engine import Database
from strongroom.db.statements import Prepared, execute_many, insert_values
from strongroom.domain.advisories import Advisory, Affected
from strongroom.projects import Project, journal_changes
from strongroom.upload import Release
from strongroom.vulns.effects import action, touched
from strongroom.vulns.models import VulnerabilityPackage, VulnerabilityRecord
from strongroom.vulns.report import ImportReport
from strongroom.vulns.rows import affected_from_row, affected_row, merged

_R = VulnerabilityRecord
_P = VulnerabilityPackage
_FIELDS = ("modified", "published", "withdrawn", "aliases", "summary", "details", "link",
           "record", "source", "imported")
_INSERT_RECORD = Prepared(insert_values(_R, "id", *_FIELDS))
_UPDATE_RECORD = Prepared(update(_R).where(_R.id == bindparam("record_id"))
                          .values({key: bindparam(key) for key in _FIELDS}))
_DELETE_PACKAGES = Prepared(delete(_P).where(_P.record_id == bindparam("record_id")))
_INSERT_PACKAGE = Prepared(insert_values(_P, "record_id", "name", "affected"))


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class VulnerabilityStore:
    """Writes advisories (each with its record's text) and journals what they change."""

    def __init__(self, db: Database, *, on_commit: Callable[[journal.Written], None],
                 clock: Callable[[], dt.datetime] = _now) -> None:
        self._db = db
        self._on_commit = on_commit
        self._clock = clock

    def save(self, items: Iterable[tuple[Advisory, str]], *, source: str,
             actor: str | None = None) -> ImportReport:
        """Upsert ``items`` (advisory, record JSON text as served) in one write transaction.

        A copy replaces the stored one only when its ``modified`` is newer (an equal one is
        counted unchanged, an older one older, and both are left out); a withdrawn copy is kept
        and matches nothing. For each replaced or new record, every project on the index that
        the old or the new copy names gets one journal entry ("vulnerability ID added" /
        "changed" / "withdrawn", by ``actor``) when some release of it shows something else,
        and the commit hook is told those releases. Raises Unavailable when the database is
        busy with another writer past the lock timeout.
        """
        batch = list(items)
        report = ImportReport()
        with self._db.write_connection() as connection:
            stored = _load(connection, {advisory.id for advisory, _ in batch})
            current: dict[str, Advisory | None] = dict(stored)
            accepted: dict[str, tuple[Advisory, str]] = {}
            for advisory, text in batch:
                before = current.get(advisory.id)
                report.count(_outcome(before, advisory))
                if before is None or advisory.modified > before.modified:
                    current[advisory.id] = advisory
                    accepted[advisory.id] = (advisory, text)
            self._write(connection, accepted, stored, source)
            written = self._journal(connection, accepted, stored, actor, report)
        if written is not None:
            self._on_commit(written)
        return report

    def _write(self, connection: Connection, accepted: dict[str, tuple[Advisory, str]],
               stored: dict[str, Advisory | None], source: str) -> None:
        now = self._clock()
        rows = {record_id: _record_row(advisory, text, source, now)
                for record_id, (advisory, text) in accepted.items()}
        replaced = [row | {"record_id": record_id} for record_id, row in rows.items()
                    if record_id in stored]
        if replaced:
            execute_many(connection, _DELETE_PACKAGES, replaced)
            execute_many(connection, _UPDATE_RECORD, replaced)
        new = [row for record_id, row in rows.items() if record_id not in stored]
        if new:
            execute_many(connection, _INSERT_RECORD, new)
        packages = [{"record_id": advisory.id, "name": entry.name, "affected": affected_row(entry)}
                    for advisory, _ in accepted.values() for entry in _per_package(advisory)]
        if packages:
            execute_many(connection, _INSERT_PACKAGE, packages)

    def _journal(self, connection: Connection, accepted: dict[str, tuple[Advisory, str]],
                 stored: dict[str, Advisory | None], actor: str | None,
                 report: ImportReport) -> journal.Written | None:
        pairs = [(stored.get(record_id), advisory) for record_id, (advisory, _) in accepted.items()]
        names = {name for old, new in pairs for name in (old.names if old else set()) | new.names}
        releases = _releases(connection, names)
        changes: dict[str, list[journal.Change]] = defaultdict(list)
        versions: dict[str, set[str]] = defaultdict(set)
        for old, new in pairs:
            for name in sorted((old.names if old else frozenset()) | new.names):
                if name not in releases:
                    continue
                differ = touched(old, new, name, releases[name])
                if differ:
                    word = action(old, new)
                    changes[name].append(journal.Change(f"vulnerability {new.id} {word}"))
                    versions[name] |= differ
        if not changes:
            return None
        now = self._clock()
        serial = 0
        for name in sorted(changes):
            serial = journal_changes(connection, project=name, changes=changes[name], now=now,
                                     submitted_by=actor)
        report.journaled = sum(len(entries) for entries in changes.values())
        report.serial = serial
        return journal.Written(serial, {name: frozenset(v) for name, v in versions.items()})


def _outcome(before: Advisory | None, advisory: Advisory) -> str:
    if before is not None and advisory.modified == before.modified:
        return "unchanged"
    if before is not None and advisory.modified < before.modified:
        return "older"
    return action(before, advisory)


def _per_package(advisory: Advisory) -> list[Affected]:
    """One entry per package (a record may list a package twice: their union is stored)."""
    return [merged(advisory.entries_for(name)) for name in sorted(advisory.names)]


def _record_row(advisory: Advisory, text: str, source: str, now: dt.datetime
                ) -> dict[str, object]:
    return {"id": advisory.id, "modified": advisory.modified, "published": advisory.published,
            "withdrawn": advisory.withdrawn, "aliases": json.dumps(list(advisory.aliases)),
            "summary": advisory.summary, "details": advisory.details, "link": advisory.link,
            "record": text, "source": source, "imported": now}


def _load(connection: Connection, ids: set[str]) -> dict[str, Advisory | None]:
    """The stored copies of ``ids`` as advisories (every package's part), from the columns."""
    if not ids:
        return {}
    wanted = sorted(ids)
    entries: dict[str, list[Affected]] = defaultdict(list)
    for record_id, name, text in connection.execute(
            select(_P.record_id, _P.name, _P.affected).where(_P.record_id.in_(wanted))):
        entries[record_id].append(affected_from_row(name, text))
    found: dict[str, Advisory | None] = {}
    for row in connection.execute(
            select(_R.id, _R.modified, _R.published, _R.withdrawn, _R.aliases, _R.summary,
                   _R.details, _R.link).where(_R.id.in_(wanted))):
        found[row.id] = Advisory(
            id=row.id, modified=row.modified, published=row.published, withdrawn=row.withdrawn,
            aliases=tuple(json.loads(row.aliases)), summary=row.summary, details=row.details,
            link=row.link, affected=tuple(entries[row.id]))
    return found


def _releases(connection: Connection, names: Sequence[str] | set[str]
              ) -> dict[str, list[str]]:
    """The versions of each project on the index among ``names`` (normalised)."""
    if not names:
        return {}
    found: dict[str, list[str]] = {}
    for name, version in connection.execute(
            select(Project.normalized_name, Release.version)
            .outerjoin(Release, Release.project_id == Project.id)
            .where(Project.normalized_name.in_(sorted(names)))):
        versions = found.setdefault(name, [])
        if version is not None:
            versions.append(version)
    return found
