"""Wheel inspection: limits, the .dist-info files, RECORD verification."""

from __future__ import annotations

import io
from pathlib import Path

from strongroom.config import Limits
from strongroom.domain.filenames import ParsedFilename
from strongroom.domain.wheels import read_wheel
from tests.builders import make_wheel, record_for, wheel_members, zip_bytes

PARSED = ParsedFilename("bdist_wheel", "demo", "1.0", "py3")
INFO = "demo-1.0.dist-info"


def reasons(path: Path, limits: Limits | None = None) -> list[str]:
    with path.open("rb") as stream:
        return [str(p) for p in read_wheel(stream, limits or Limits(), PARSED).problems]


def test_good_wheel_yields_metadata(tmp_path: Path) -> None:
    with make_wheel(tmp_path).open("rb") as stream:
        contents = read_wheel(stream, Limits(), PARSED)
    assert contents.problems == []
    assert contents.metadata_field == "METADATA"
    assert contents.metadata_bytes is not None
    assert contents.metadata_bytes.startswith(b"Metadata-Version: 2.1\nName: demo\n")


def test_member_limit(tmp_path: Path) -> None:
    found = reasons(make_wheel(tmp_path), Limits(max_members=3))
    assert found == ["content: Invalid distribution file. The archive has more than 3 members."]


def test_absolute_size_limit(tmp_path: Path) -> None:
    found = reasons(make_wheel(tmp_path), Limits(max_uncompressed_size=100))
    assert len(found) == 1
    assert "expands to more than 100 bytes" in found[0]


def test_ratio_limit_applies_only_above_threshold(tmp_path: Path) -> None:
    members = {**wheel_members(), "demo/zeros.bin": bytes(200_000)}
    members[f"{INFO}/RECORD"] = record_for(
        {k: v for k, v in members.items() if not k.endswith("RECORD")}, f"{INFO}/RECORD"
    )
    path = tmp_path / "demo-1.0-py3-none-any.whl"
    path.write_bytes(zip_bytes(members.items()))
    assert reasons(path) == []
    found = reasons(path, Limits(ratio_threshold_size=100_000, max_compression_ratio=50))
    assert len(found) == 1
    assert "compression ratio exceeds 50" in found[0]


def test_dist_info_mismatch_still_reads_metadata(tmp_path: Path) -> None:
    with make_wheel(tmp_path, dist_info="other-1.0.dist-info").open("rb") as stream:
        contents = read_wheel(stream, Limits(), PARSED)
    assert contents.metadata_bytes is not None
    assert ["does not match the file name" in str(p) for p in contents.problems] == [True]


def test_dist_info_compared_canonically(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, dist_info="Demo-1.0.0.dist-info")
    assert reasons(wheel) == []


def test_every_record_problem_is_reported(tmp_path: Path) -> None:
    members = wheel_members(extra_files={"demo/a.py": b"a", "demo/b.py": b"b"})
    members["demo/a.py"] = b"changed"
    del members["demo/b.py"]
    members["demo/c.py"] = b"unlisted"
    path = tmp_path / "demo-1.0-py3-none-any.whl"
    path.write_bytes(zip_bytes(members.items()))
    found = reasons(path)
    assert all(reason.startswith("RECORD: Invalid distribution file.") for reason in found)
    assert len(found) == 3
    assert "'demo/c.py' is in the archive but not listed" in found[0]
    assert "lists 'demo/b.py', which is not in the archive" in found[1]
    assert "sha256 hash of 'demo/a.py' does not match RECORD" in found[2]


def test_dist_info_files_are_checked_against_record_too(tmp_path: Path) -> None:
    # METADATA and WHEEL are hashed from the bytes already read for their own checks.
    members = wheel_members()
    members[f"{INFO}/METADATA"] += b"Keywords: changed after RECORD was written\n"
    members[f"{INFO}/WHEEL"] += b"Build: 1\n"
    path = tmp_path / "demo-1.0-py3-none-any.whl"
    path.write_bytes(zip_bytes(members.items()))
    found = reasons(path)
    assert len(found) == 2
    assert f"sha256 hash of '{INFO}/METADATA' does not match RECORD" in found[0]
    assert f"sha256 hash of '{INFO}/WHEEL' does not match RECORD" in found[1]


def test_many_problems_are_capped(tmp_path: Path) -> None:
    extra = {f"demo/m{i}.py": b"" for i in range(30)}
    wheel = make_wheel(tmp_path, extra_files=extra, record=f"{INFO}/RECORD,,\n".encode())
    found = reasons(wheel)
    assert len(found) == 21
    assert "and 13 more like these" in found[-1]


def test_directory_entries_need_no_record_line(tmp_path: Path) -> None:
    members = wheel_members()
    path = tmp_path / "demo-1.0-py3-none-any.whl"
    path.write_bytes(zip_bytes([("demo/", b""), *members.items()]))
    assert reasons(path) == []


def test_oversized_record_is_refused_without_reading(tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path, record=b"#" * (32 * 1024 * 1024 + 1))
    found = reasons(wheel)
    assert len(found) == 1
    assert "RECORD' is larger than" in found[0]


class _FailingDisk(io.BytesIO):
    def read(self, size: int | None = -1) -> bytes:
        raise OSError(5, "Input/output error")


def test_unreadable_file_is_a_problem() -> None:
    contents = read_wheel(_FailingDisk(bytes(4096)), Limits(), PARSED)
    assert "could not be read" in contents.problems[0].reason
