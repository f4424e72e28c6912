"""Reading OSV records: every field checked, every problem named by its path."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

import pytest

from strongroom.domain.osv import InvalidAdvisory, parse_record

FIXTURE = Path(__file__).parents[4] / "shared" / "fixtures" / "osv" / "PyPI-all.zip"


def _record(**overrides: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": "PYSEC-2099-1", "modified": "2024-01-31T12:00:00Z",
        "affected": [{"package": {"ecosystem": "PyPI", "name": "Jw.Util"},
                      "ranges": [{"type": "ECOSYSTEM",
                                  "events": [{"introduced": "0"}, {"fixed": "1.1"}]}]}],
    }
    record.update(overrides)
    return record


def test_a_record_becomes_an_advisory_under_the_normalised_name() -> None:
    advisory, warnings = parse_record(_record(aliases=["CVE-2099-1"]), source="a.json")
    assert warnings == []
    assert advisory.names == {"jw-util"}
    assert advisory.affects("jw-util", "1.0")
    assert advisory.aliases == ("CVE-2099-1",)
    assert advisory.link == "https://osv.dev/vulnerability/PYSEC-2099-1"


def test_every_problem_is_named_by_its_field() -> None:
    bad = _record(modified="yesterday", aliases="CVE-1", schema_version="2.0.0",
                  affected=[{"package": {"name": "x"}, "ranges": [
                      {"type": "ECOSYSTEM", "events": [{"fixed": "1.0"}, {"oops": "2"}]}]}])
    with pytest.raises(InvalidAdvisory) as caught:
        parse_record(bad, source="dir/bad.json")
    fields = [p.field for p in caught.value.problems]
    assert fields == ["schema_version", "modified", "aliases", "affected[0].package.ecosystem",
                      "affected[0].ranges[0].events[1]"]
    assert str(caught.value).startswith("dir/bad.json: ")
    assert caught.value.record_id == "PYSEC-2099-1"


@pytest.mark.parametrize("record", [[], "x", {"modified": "2024-01-01T00:00:00Z"},
                                    {"id": "../../etc", "modified": "2024-01-01T00:00:00Z"},
                                    {"id": "A-1", "modified": "2024-01-01T00:00:00"}])
def test_records_without_a_usable_id_or_timestamp_are_refused(record: Any) -> None:
    with pytest.raises(InvalidAdvisory):
        parse_record(record)


def test_an_unorderable_range_is_left_out_with_a_warning() -> None:
    record = _record(affected=[{
        "package": {"ecosystem": "PyPI", "name": "demo"}, "versions": ["0.1"],
        "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"},
                                                    {"fixed": "2019-09-12"}]},
                   {"type": "GIT", "repo": "https://example.org/r",
                    "events": [{"introduced": "abc"}]}]}])
    advisory, warnings = parse_record(record)
    assert [w.field for w in warnings] == ["affected[0].ranges[0].events[1].fixed"]
    assert advisory.affects("demo", "0.1")
    assert not advisory.affects("demo", "0.2")


def test_the_real_database_reads_with_one_refusal() -> None:
    if not FIXTURE.exists():
        pytest.fail(f"the PyPA advisory database fixture is missing: {FIXTURE}")
    refused = []
    with zipfile.ZipFile(FIXTURE) as archive:
        for name in archive.namelist():
            try:
                parse_record(json.loads(archive.read(name)), source=name)
            except InvalidAdvisory as error:
                refused.append((name, [p.field for p in error.problems]))
    # PYSEC-2024-55's "modified" is Go's zero time printed with a one-digit year.
    assert refused == [("PYSEC-2024-55.json", ["modified"])]
