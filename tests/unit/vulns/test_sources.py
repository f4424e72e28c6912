"""Reading records from a zip, a directory, one file: each refused one named by file and
field, the rest read; every read bounded."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pytest

from strongroom.errors import InvalidInput
from strongroom.vulns import MAX_RECORD_BYTES, open_path, read_record

FIXTURE = Path(__file__).parents[4] / "shared" / "fixtures" / "osv" / "PyPI-all.zip"
RECORD = {"id": "PYSEC-2099-7", "modified": "2024-01-31T12:00:00Z",
          "affected": [{"package": {"ecosystem": "PyPI", "name": "demo"}, "versions": ["1.0"]}]}
YAML = """\
id: GHSA-aaaa-bbbb-cccc
modified: 2024-02-01T00:00:00Z
summary: from YAML
affected:
  - package: {ecosystem: PyPI, name: Demo}
    ranges:
      - type: ECOSYSTEM
        events: [{introduced: "0"}, {fixed: "2.0"}]
"""


def test_the_real_database_reads_with_one_record_refused_for_its_modified() -> None:
    source = open_path(FIXTURE)
    readings = list(source)
    assert source.total == len(readings) == 2661
    refused = [r.refusal for r in readings if r.refusal is not None]
    assert [(n.record_id, n.source.rsplit(":", 1)[1]) for n in refused] == [
        ("PYSEC-2024-55", "PYSEC-2024-55.json")]
    assert refused[0].message.startswith("modified: '1-01-01T00:00:00.000000Z' is not")
    ids = {r.advisory.id for r in readings if r.advisory is not None}
    assert len(ids) == 2660
    # JSON records are stored as the file has them.
    with zipfile.ZipFile(FIXTURE) as archive:
        member = archive.read("PYSEC-2021-66.json").decode()
    assert next(r.text for r in readings if r.source.endswith(":PYSEC-2021-66.json")) == member


def test_a_directory_of_json_and_yaml_with_malformed_files_named(tmp_path: Path) -> None:
    (tmp_path / "nested").mkdir()
    (tmp_path / "good.json").write_text(json.dumps(RECORD))
    (tmp_path / "nested" / "ghsa.yaml").write_text(YAML)
    (tmp_path / "bad.yml").write_text("id: [unclosed")
    (tmp_path / "broken.json").write_text('{"id": "X-1", "modified": "2024-01-31T12:00:00Z", '
                                          '"affected": [{"package": {"name": "x"}}]}')
    (tmp_path / "notes.txt").write_text("ignored")
    readings = {Path(r.source).name: r for r in open_path(tmp_path)}
    assert sorted(readings) == ["bad.yml", "broken.json", "ghsa.yaml", "good.json"]
    ghsa = readings["ghsa.yaml"].advisory
    assert ghsa is not None
    assert ghsa.affects("demo", "1.9")
    assert json.loads(readings["ghsa.yaml"].text)["summary"] == "from YAML"
    assert "not valid YAML" in str(readings["bad.yml"].refusal)
    assert str(readings["broken.json"].refusal).endswith(
        "(X-1): affected[0].package.ecosystem: must be a non-empty string")


def test_one_file_and_what_is_not_a_source(tmp_path: Path) -> None:
    single = tmp_path / "one.json"
    single.write_text(json.dumps(RECORD))
    [reading] = open_path(single)
    assert reading.advisory is not None
    assert reading.advisory.id == "PYSEC-2099-7"
    other = tmp_path / "x.txt"
    other.write_text("x")
    with pytest.raises(InvalidInput, match=r"x\.txt: not a zip archive, a directory"):
        open_path(other)
    with pytest.raises(InvalidInput, match="missing: no such file or directory"):
        open_path(tmp_path / "missing")


def test_oversized_and_undecodable_records_are_refused() -> None:
    assert "larger than" in str(read_record(b" " * (MAX_RECORD_BYTES + 1), "big.json").refusal)
    assert "not UTF-8" in str(read_record(b'{"id": "\xff"}', "latin.json").refusal)
    assert "must be a JSON object" in str(read_record(b"[1]", "list.json").refusal)


def test_a_zip_member_larger_than_the_bound_is_refused_unread(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("HUGE-1.json", b" " * (MAX_RECORD_BYTES + 1))
        archive.writestr("PYSEC-2099-7.json", json.dumps(RECORD))
    path = tmp_path / "all.zip"
    path.write_bytes(buffer.getvalue())
    readings = list(open_path(path))
    assert "larger than" in str(readings[0].refusal)
    assert readings[1].advisory is not None
