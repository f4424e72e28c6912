"""Advisories for tests: OSV records in one line each, written straight into the vulns tables.

``osv_record`` makes a record as osv.dev's PyPI database writes them; ``store_advisory``
reads it with ``domain/osv.parse_record`` and writes its ``vulnerability_records`` row and one
``vulnerability_packages`` row per PyPI package (``strongroom.vulns.affected_row``), replacing
any earlier copy. It journals nothing: a test that needs a cached document to change publishes
a change of the project itself (or stores the advisory before the first read).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import delete

from strongroom.db.engine import Database
from strongroom.domain.advisories import Advisory, Affected
from strongroom.domain.osv import parse_record
from strongroom.vulns import VulnerabilityPackage, VulnerabilityRecord, affected_row

MODIFIED = "2024-01-02T03:04:05Z"


def osv_record(record_id: str, package: str, *ranges: list[dict[str, str]],
               versions: tuple[str, ...] = (), aliases: tuple[str, ...] = (),
               summary: str | None = None, details: str = "Bad things.",
               modified: str = MODIFIED, withdrawn: str | None = None,
               **extra: Any) -> dict[str, Any]:
    """An OSV record of one PyPI ``package`` with ECOSYSTEM ``ranges`` (each a list of events
    such as ``{"introduced": "0"}``) and listed ``versions``; ``extra`` top-level fields."""
    record: dict[str, Any] = {
        "schema_version": "1.6.0", "id": record_id, "modified": modified,
        "published": "2023-01-01T00:00:00Z", "aliases": list(aliases), "details": details,
        "affected": [{
            "package": {"ecosystem": "PyPI", "name": package,
                        "purl": f"pkg:pypi/{package}"},
            "ranges": [{"type": "ECOSYSTEM", "events": events} for events in ranges],
            "versions": list(versions),
        }],
        "references": [{"type": "WEB", "url": f"https://example.test/{record_id}"}],
        **extra,
    }
    if summary is not None:
        record["summary"] = summary
    if withdrawn is not None:
        record["withdrawn"] = withdrawn
    return record


def fixed_range(introduced: str, fixed: str) -> list[dict[str, str]]:
    """A range from ``introduced`` up to (not including) ``fixed``."""
    return [{"introduced": introduced}, {"fixed": fixed}]


def store_advisory(db: Database, record: dict[str, Any], *, source: str = "tests"
                   ) -> Advisory:
    """Write ``record`` (checked by ``parse_record``) into the vulns tables; returns it read."""
    advisory, _warnings = parse_record(record, source=source)
    by_name: dict[str, list[Affected]] = {}
    for entry in advisory.affected:
        by_name.setdefault(entry.name, []).append(entry)
    with db.write() as session:
        session.execute(delete(VulnerabilityRecord).where(VulnerabilityRecord.id == advisory.id))
        session.execute(delete(VulnerabilityPackage)
                        .where(VulnerabilityPackage.record_id == advisory.id))
        session.add(VulnerabilityRecord(
            id=advisory.id, modified=advisory.modified, published=advisory.published,
            withdrawn=advisory.withdrawn, aliases=json.dumps(list(advisory.aliases)),
            summary=advisory.summary, details=advisory.details, link=advisory.link,
            record=json.dumps(record, separators=(",", ":")), source=source,
            imported=dt.datetime.now(dt.UTC)))
        session.flush()
        for name, entries in by_name.items():
            merged = Affected(name, tuple(r for e in entries for r in e.ranges),
                              tuple(dict.fromkeys(v for e in entries for v in e.versions)))
            session.add(VulnerabilityPackage(record_id=advisory.id, name=name,
                                             affected=affected_row(merged)))
    return advisory
