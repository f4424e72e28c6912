"""Saving advisories: newer wins, withdrawn stays and matches nothing, and the journal hears of
exactly the projects on the index whose releases show something else."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from sqlalchemy import select

from strongroom.db import journal
from strongroom.db.engine import Database
from strongroom.db.models import JournalEntry
from strongroom.domain.advisories import Advisory
from strongroom.domain.osv import parse_record
from strongroom.projects import Project
from strongroom.upload import Release
from strongroom.vulns import VulnerabilityStore, advisories_for, record_by_id

NOW = dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC)


def _advisory(record_id: str = "PYSEC-2099-1", *, modified: str = "2024-01-31T12:00:00Z",
              **fields: Any) -> tuple[Advisory, str]:
    record: dict[str, Any] = {
        "id": record_id, "modified": modified, "summary": "bad", "aliases": ["CVE-2099-1"],
        "affected": [{"package": {"ecosystem": "PyPI", "name": "Demo"},
                      "ranges": [{"type": "ECOSYSTEM",
                                  "events": [{"introduced": "0"}, {"fixed": "1.1"}]}]}],
    }
    record.update(fields)
    advisory, _ = parse_record(record)
    return advisory, json.dumps(record)


@pytest.fixture
def written(database: Database) -> list[journal.Written]:
    with database.write() as session:
        project = Project(name="Demo", normalized_name="demo")
        session.add(project)
        for version, canonical in (("1.0", "1"), ("1.1", "1.1"), ("2.0", "2")):
            session.add(Release(project=project, version=version, canonical_version=canonical))
    return []


def _store(database: Database, written: list[journal.Written]) -> VulnerabilityStore:
    return VulnerabilityStore(database, on_commit=written.append, clock=lambda: NOW)


def _entries(database: Database) -> list[tuple[str, str, str | None]]:
    with database.read() as session:
        return [(e.project, e.action, e.submitted_by) for e in
                session.scalars(select(JournalEntry).order_by(JournalEntry.id))]


def test_a_new_record_is_stored_and_journaled_for_the_releases_it_affects(
        database: Database, written: list[journal.Written]) -> None:
    advisory, text = _advisory()
    report = _store(database, written).save([(advisory, text)], source="a.zip", actor="admin")
    assert report.counts["added"] == 1
    assert report.journaled == 1
    assert written == [journal.Written(1, {"demo": frozenset({"1.0"})})]
    assert _entries(database) == [("demo", "vulnerability PYSEC-2099-1 added", "admin")]
    with database.read() as session:
        assert session.scalars(select(Project.last_serial)).one() == 1
    with database.read_connection() as connection:
        assert record_by_id(connection, "PYSEC-2099-1") == text
        [stored] = advisories_for(connection, "demo")
    assert stored.affects("demo", "1.0")
    assert not stored.affects("demo", "1.1")


def test_newer_modified_wins_and_equal_or_older_change_nothing(
        database: Database, written: list[journal.Written]) -> None:
    store = _store(database, written)
    store.save([_advisory()], source="first")
    again = store.save([_advisory(summary="edited but not newer")], source="again")
    older = store.save([_advisory(modified="2023-01-01T00:00:00Z", summary="old")], source="o")
    assert (again.counts["unchanged"], older.counts["older"]) == (1, 1)
    assert again.serial is None
    assert len(written) == 1
    newer = store.save([_advisory(modified="2025-01-01T00:00:00Z", summary="fixed later",
                                  affected=[{"package": {"ecosystem": "PyPI", "name": "demo"},
                                             "versions": ["1.1"]}])], source="new")
    assert newer.counts["changed"] == 1
    # 1.0 is no longer affected, 1.1 now is: both releases change, 2.0 does not.
    assert written[-1] == journal.Written(2, {"demo": frozenset({"1.0", "1.1"})})
    with database.read_connection() as connection:
        [stored] = advisories_for(connection, "demo")
        assert stored.summary == "fixed later"
        assert json.loads(record_by_id(connection, "PYSEC-2099-1") or "")["summary"] == \
            "fixed later"


def test_a_change_no_release_shows_is_not_journaled(
        database: Database, written: list[journal.Written]) -> None:
    store = _store(database, written)
    store.save([_advisory()], source="first")
    # Only `modified` and a field no release shows change.
    report = store.save([_advisory(modified="2025-01-01T00:00:00Z",
                                   references=[{"type": "WEB", "url": "https://x.test"}])],
                        source="second")
    assert report.counts["changed"] == 1
    assert (report.journaled, report.serial) == (0, None)
    assert len(written) == 1


def test_withdrawing_stops_matching_and_is_journaled(
        database: Database, written: list[journal.Written]) -> None:
    store = _store(database, written)
    store.save([_advisory()], source="first")
    report = store.save([_advisory(modified="2025-01-01T00:00:00Z",
                                   withdrawn="2025-01-01T00:00:00Z")], source="second")
    assert report.counts["withdrawn"] == 1
    assert _entries(database)[-1] == ("demo", "vulnerability PYSEC-2099-1 withdrawn", None)
    assert written[-1].changes == {"demo": frozenset({"1.0"})}
    with database.read_connection() as connection:
        assert advisories_for(connection, "demo") == []
        [kept] = advisories_for(connection, "demo", withdrawn=True)
    assert kept.withdrawn is not None
    # An older copy cannot bring it back.
    assert store.save([_advisory()], source="third").counts["older"] == 1


def test_records_of_packages_not_on_the_index_are_kept_without_journal(
        database: Database, written: list[journal.Written]) -> None:
    elsewhere = [{"package": {"ecosystem": "PyPI", "name": "Not_Here"}, "versions": ["1"]}]
    report = _store(database, written).save(
        [_advisory("GHSA-2222-3333-4444", affected=elsewhere)], source="x")
    assert report.counts["added"] == 1
    assert written == []
    assert _entries(database) == []
    with database.read_connection() as connection:
        assert [a.id for a in advisories_for(connection, "not-here")] == ["GHSA-2222-3333-4444"]


def test_one_batch_takes_the_newest_copy_of_an_id_and_merges_a_package_listed_twice(
        database: Database, written: list[journal.Written]) -> None:
    twice = [{"package": {"ecosystem": "PyPI", "name": "demo"}, "versions": ["1.0"]},
             {"package": {"ecosystem": "PyPI", "name": "DEMO"}, "versions": ["2.0"]}]
    report = _store(database, written).save([
        _advisory(modified="2024-01-01T00:00:00Z"),
        _advisory(modified="2024-06-01T00:00:00Z", affected=twice),
        _advisory(modified="2024-03-01T00:00:00Z"),
    ], source="batch")
    assert report.counts == {"added": 1, "changed": 1, "unchanged": 0, "older": 1,
                             "withdrawn": 0, "refused": 0}
    assert written == [journal.Written(1, {"demo": frozenset({"1.0", "2.0"})})]
    with database.read_connection() as connection:
        [stored] = advisories_for(connection, "demo")
    assert stored.modified == dt.datetime(2024, 6, 1, tzinfo=dt.UTC)
    assert [stored.affects("demo", v) for v in ("1.0", "1.1", "2.0")] == [True, False, True]
