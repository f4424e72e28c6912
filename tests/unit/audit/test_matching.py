"""Matching dependencies against an OSV zip read offline, and the smallest upgrades
(audit/matching.py, audit/database.py)."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from packaging.version import InvalidVersion, Version

from strongroom.audit import Dependency, OfflineDatabase, Where, audit
from strongroom.errors import InvalidInput
from tests.unit.audit.records import REAL_ZIP, record, write_zip

HERE = Where("requirements.txt", 1)


def _dep(name: str, version: str) -> Dependency:
    return Dependency(name, version, HERE)


@pytest.fixture
def database(tmp_path: Path) -> OfflineDatabase:
    records = [
        record("TEST-1", "demo", {"introduced": "0"}, {"fixed": "1.2"}, aliases=("CVE-1",)),
        record("TEST-2", "demo", {"introduced": "1.1"}, {"fixed": "1.3"}),
        record("TEST-3", "Other_Thing", {"introduced": "2.0"}, {"last_affected": "2.5"}),
        record("TEST-4", "epochs", {"introduced": "1!0"}, {"fixed": "1!2.0"}),
        record("TEST-5", "limited", {"introduced": "0"}, {"limit": "3.0"}, {"fixed": "9.0"}),
        record("TEST-6", "demo", {"introduced": "0"}, {"fixed": "9"},
               withdrawn="2024-02-01T00:00:00Z"),
        record("TEST-7", "listed", versions=("0.9", "1.0")),
        record("TEST-8", "demo", {"introduced": "1.3"}, {"fixed": "1.4"}),
    ]
    raw = {"BROKEN-1.json": b"{not json", "BROKEN-2.json": json.dumps({"id": "X"}).encode()}
    return OfflineDatabase(write_zip(tmp_path / "db.zip", records, raw=raw))


def _ids(database: OfflineDatabase, *deps: Dependency) -> list[tuple[str, str]]:
    report = audit(list(deps), [], database)
    return [(f.dependency.version, f.advisory.id) for f in report.findings]


def test_refused_records_are_counted_and_named(database: OfflineDatabase) -> None:
    assert database.records == 10
    refused = sorted(error.message for error in database.refused)
    assert refused[0].endswith("BROKEN-1.json: not JSON (Expecting property name enclosed in "
                               "double quotes: line 1 column 2 (char 1))")
    assert refused[1].endswith("BROKEN-2.json: modified: None is not an RFC 3339 timestamp "
                               "with a time zone (such as 2024-01-31T12:00:00Z)")


def test_ranges_follow_pep_440_order(database: OfflineDatabase) -> None:
    assert _ids(database, _dep("demo", "1.0")) == [("1.0", "TEST-1")]
    assert _ids(database, _dep("demo", "1.2rc1")) == [("1.2rc1", "TEST-1"), ("1.2rc1", "TEST-2")]
    assert _ids(database, _dep("demo", "1.2")) == [("1.2", "TEST-2")]
    assert _ids(database, _dep("demo", "1.2.post1")) == [("1.2.post1", "TEST-2")]
    assert _ids(database, _dep("demo", "1.1.dev0")) == [("1.1.dev0", "TEST-1")]
    assert _ids(database, _dep("demo", "1.4")) == []  # and TEST-6 is withdrawn
    assert _ids(database, _dep("demo", "1.0+local")) == [("1.0+local", "TEST-1")]
    assert _ids(database, _dep("epochs", "5.0")) == []  # epoch 0 is below 1!0
    assert _ids(database, _dep("epochs", "1!1.0")) == [("1!1.0", "TEST-4")]
    assert _ids(database, _dep("limited", "2.9")) == [("2.9", "TEST-5")]
    assert _ids(database, _dep("limited", "3.0")) == []
    assert _ids(database, _dep("listed", "1.0.0")) == [("1.0.0", "TEST-7")]
    assert _ids(database, _dep("unknown-package", "1.0")) == []


def test_names_match_normalised(database: OfflineDatabase) -> None:
    assert _ids(database, _dep("other.thing", "2.5")) == [("2.5", "TEST-3")]
    assert _ids(database, _dep("OTHER-thing", "2.5.1")) == []


def test_ignore_takes_ids_or_aliases_in_any_case(database: OfflineDatabase) -> None:
    report = audit([_dep("demo", "1.2rc1")], [], database, ignore=["cve-1"])
    assert [f.advisory.id for f in report.findings] == ["TEST-2"]
    assert [f.advisory.id for f in report.ignored] == ["TEST-1"]
    assert audit([_dep("demo", "1.2rc1")], [], database,
                 ignore=["TEST-1", "test-2"]).findings == []


def test_fix_is_the_smallest_upgrade_clearing_every_advisory_of_the_package(
        database: OfflineDatabase) -> None:
    report = audit([_dep("demo", "1.1"), _dep("other-thing", "2.1"), _dep("epochs", "1!0.5")],
                   [], database, fix=True)
    by_id = {f.advisory.id: f.fix for f in report.findings}
    # TEST-1 alone is cleared by 1.2; TEST-2 by 1.3, which TEST-8 affects: 1.4 clears all.
    assert by_id == {"TEST-1": "1.2", "TEST-2": "1.3", "TEST-3": None, "TEST-4": "1!2.0"}
    assert report.upgrades is not None
    assert [(u.dependency.name, u.target, u.clears) for u in report.upgrades] == [
        ("demo", "1.4", ("TEST-1", "TEST-2")), ("other-thing", None, ("TEST-3",)),
        ("epochs", "1!2.0", ("TEST-4",))]


def test_a_file_that_is_not_a_zip_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidInput, match="no such file"):
        OfflineDatabase(tmp_path / "missing.zip")
    (tmp_path / "text.zip").write_text("hello")
    with pytest.raises(InvalidInput, match="not a readable zip of OSV records"):
        OfflineDatabase(tmp_path / "text.zip")


def _version(text: str) -> Version | str:
    try:
        return Version(text)
    except InvalidVersion:  # legacy versions some records list ("0.7.10p1")
        return text


# Pinned versions with advisories in the real database, and some without.
PINNED = [("jinja2", "2.4"), ("Django", "3.2.0"), ("requests", "2.19.0"), ("PyYAML", "5.3"),
          ("urllib3", "1.24.1"), ("pillow", "8.1.0"), ("flask", "0.12"), ("click", "8.1.7"),
          ("Werkzeug", "2.2.2"), ("cryptography", "3.2"), ("aiohttp", "3.8.0")]


def test_the_real_database_agrees_with_its_records_read_independently() -> None:
    database = OfflineDatabase(REAL_ZIP)
    assert database.records == 2661
    report = audit([_dep(name, version) for name, version in PINNED], [], database)
    found = {(f.dependency.key, f.dependency.version, f.advisory.id) for f in report.findings}
    # osv.dev lists every affected version of a PyPI package in each record's ``versions``:
    # a reading of the records that shares no code with Advisory.affects (PEP 440 equality:
    # a record lists Django's "3.2", the pin says "3.2.0").
    expected = set()
    with zipfile.ZipFile(REAL_ZIP) as archive:
        for member in archive.namelist():
            data = json.loads(archive.read(member))
            if data.get("withdrawn"):
                continue
            for entry in data.get("affected", []):
                name = entry["package"]["name"].lower().replace("_", "-").replace(".", "-")
                listed = {_version(v) for v in entry.get("versions", [])}
                for pinned, version in PINNED:
                    if (entry["package"]["ecosystem"] == "PyPI"
                            and name == pinned.lower() and Version(version) in listed):
                        expected.add((name, version, data["id"]))
    assert len(expected) > 40
    assert found == expected
