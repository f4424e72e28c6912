"""Admin views of the stored records (``strongroom admin vulns list`` and ``show``), read with
the ORM: admin work, not a hot path."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from sqlalchemy import select

from strongroom.db.engine import Database
from strongroom.domain.names import normalize
from strongroom.errors import NotFound
from strongroom.projects import Project
from strongroom.upload import Release
from strongroom.vulns.models import VulnerabilityPackage, VulnerabilityRecord
from strongroom.vulns.queries import advisories_for
from strongroom.vulns.rows import affected_from_row


@dataclass(frozen=True)
class RecordSummary:
    """One stored record: id, ``modified``, withdrawal, aliases, summary, the packages it
    names, and (listing one project) that project's releases it affects and the fixes."""

    id: str
    modified: dt.datetime
    withdrawn: dt.datetime | None
    aliases: tuple[str, ...]
    summary: str | None
    packages: tuple[str, ...]
    affects: tuple[str, ...] = ()
    fixed_in: tuple[str, ...] = ()


def list_records(db: Database) -> list[RecordSummary]:
    """Every stored record, by id."""
    with db.read() as session:
        names: dict[str, list[str]] = {}
        for record_id, name in session.execute(
                select(VulnerabilityPackage.record_id, VulnerabilityPackage.name)
                .order_by(VulnerabilityPackage.name)):
            names.setdefault(record_id, []).append(name)
        return [RecordSummary(r.id, r.modified, r.withdrawn, tuple(json.loads(r.aliases)),
                              r.summary, tuple(names.get(r.id, ())))
                for r in session.scalars(select(VulnerabilityRecord)
                                         .order_by(VulnerabilityRecord.id))]


def list_for_project(db: Database, project: str) -> list[RecordSummary]:
    """The records naming package ``project`` (withdrawn ones too), each with the releases of
    that project on this index it affects. A package the index does not host has no
    releases, and still its records."""
    name = normalize(project)
    with db.read_connection() as connection:
        advisories = advisories_for(connection, name, withdrawn=True)
    with db.read() as session:
        versions = list(session.scalars(
            select(Release.version).join(Project, Project.id == Release.project_id)
            .where(Project.normalized_name == name)))
    return [RecordSummary(a.id, a.modified, a.withdrawn, a.aliases, a.summary, (name,),
                          tuple(v for v in versions if a.affects(name, v)), a.fixed_in(name))
            for a in advisories]


def stored_record(db: Database, record_id: str) -> tuple[str, str]:
    """The record ``record_id`` as stored and where it came from. Raises NotFound."""
    with db.read() as session:
        row = session.get(VulnerabilityRecord, record_id)
        if row is None:
            raise NotFound(f"no vulnerability record {record_id!r}")
        return row.record, row.source


def package_rows(db: Database, record_id: str) -> list[tuple[str, str]]:
    """The packages a stored record names, each with its ranges and versions in words."""
    with db.read() as session:
        rows = session.execute(select(VulnerabilityPackage.name, VulnerabilityPackage.affected)
                               .where(VulnerabilityPackage.record_id == record_id)
                               .order_by(VulnerabilityPackage.name)).all()
    found = []
    for name, text in rows:
        entry = affected_from_row(name, text)
        ranges = [" ".join(f"{e.kind}={e.version}" for e in r.events) for r in entry.ranges]
        if entry.versions:
            ranges.append(f"{len(entry.versions)} listed versions")
        found.append((name, "; ".join(ranges) or "no PEP 440 range"))
    return found
