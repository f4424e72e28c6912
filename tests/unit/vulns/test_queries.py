"""Advisories by package name and records by id, read from the columns and compact rows."""

from __future__ import annotations

import datetime as dt
import json

from strongroom.db.engine import Database
from strongroom.domain.advisories import Affected, Event, Range
from strongroom.vulns import (
    VulnerabilityPackage,
    VulnerabilityRecord,
    advisories_for,
    affected_row,
    record_by_id,
    records_for,
)

WHEN = dt.datetime(2024, 1, 31, 12, tzinfo=dt.UTC)
OPEN = Affected("jw-util", (Range((Event("introduced", "0"), Event("fixed", "1.2"))),))


def _store(database: Database, record_id: str, names: dict[str, Affected], *,
           withdrawn: dt.datetime | None = None) -> str:
    record = json.dumps({"id": record_id, "modified": "2024-01-31T12:00:00Z"})
    with database.write() as session:
        session.add(VulnerabilityRecord(
            id=record_id, modified=WHEN, published=WHEN - dt.timedelta(days=1),
            withdrawn=withdrawn, aliases=json.dumps([f"CVE-{record_id}"]), summary="s",
            details="d", link=f"https://example.test/{record_id}", record=record, source="t"))
        session.flush()
        for name, entry in names.items():
            session.add(VulnerabilityPackage(record_id=record_id, name=name,
                                             affected=affected_row(entry)))
    return record


def test_advisories_of_a_package_come_from_columns_and_its_row(database: Database) -> None:
    _store(database, "PYSEC-2", {"jw-util": OPEN, "other": Affected("other", (), ("1",))})
    _store(database, "PYSEC-1", {"jw-util": Affected("jw-util", (), ("3.0",))})
    _store(database, "PYSEC-3", {"other": Affected("other", (), ("1",))})
    with database.read_connection() as connection:
        found = advisories_for(connection, "Jw_Util")
    assert [a.id for a in found] == ["PYSEC-1", "PYSEC-2"]
    second = found[1]
    assert second.affected == (OPEN,)
    assert (second.modified, second.published) == (WHEN, WHEN - dt.timedelta(days=1))
    assert second.modified.tzinfo is not None
    assert (second.aliases, second.summary, second.details) == (("CVE-PYSEC-2",), "s", "d")
    assert second.link == "https://example.test/PYSEC-2"
    assert second.affects("jw-util", "1.1")
    assert not second.affects("jw-util", "1.2")
    with database.read_connection() as connection:
        assert advisories_for(connection, "unknown") == []


def test_withdrawn_records_are_left_out_unless_asked_for(database: Database) -> None:
    _store(database, "PYSEC-9", {"jw-util": OPEN}, withdrawn=WHEN)
    with database.read_connection() as connection:
        assert advisories_for(connection, "jw-util") == []
        [kept] = advisories_for(connection, "jw-util", withdrawn=True)
        assert records_for(connection, "jw-util") == []
    assert kept.withdrawn == WHEN
    assert not kept.affects("jw-util", "1.0")


def test_records_come_verbatim_with_their_advisory(database: Database) -> None:
    record = _store(database, "GHSA-aaaa-bbbb-cccc", {"jw-util": OPEN})
    with database.read_connection() as connection:
        [(advisory, text)] = records_for(connection, "jw.util")
        assert advisory.id == "GHSA-aaaa-bbbb-cccc"
        assert text == record
        assert record_by_id(connection, "GHSA-aaaa-bbbb-cccc") == record
        assert record_by_id(connection, "ghsa-aaaa-bbbb-cccc") is None
        assert record_by_id(connection, "PYSEC-404") is None
