"""Sdist inspection: gzip tar layout, member types, streaming expansion limits."""

from __future__ import annotations

import tarfile
from pathlib import Path

from strongroom.config import Limits
from strongroom.domain.sdists import read_sdist
from tests.builders import TarMember, make_sdist, sdist_members, tar_gz_bytes


def reasons(path: Path, limits: Limits | None = None) -> list[str]:
    with path.open("rb") as stream:
        return [p.reason for p in read_sdist(stream, limits or Limits()).problems]


def write(tmp_path: Path, *extra: TarMember) -> Path:
    path = tmp_path / "demo-1.0.tar.gz"
    path.write_bytes(tar_gz_bytes([*sdist_members(), *extra]))
    return path


def test_good_sdist_yields_pkg_info(tmp_path: Path) -> None:
    with make_sdist(tmp_path).open("rb") as stream:
        contents = read_sdist(stream, Limits())
    assert contents.problems == []
    assert contents.metadata_field == "PKG-INFO"
    assert contents.metadata_bytes is not None
    assert b"Name: demo" in contents.metadata_bytes


def test_safe_links_inside_the_top_directory_are_fine(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        TarMember("demo-1.0/docs/readme", kind=tarfile.SYMTYPE, linkname="../PKG-INFO"),
        TarMember("demo-1.0/self", kind=tarfile.SYMTYPE, linkname="."),
    )
    assert reasons(path) == []


def test_links_that_escape_are_refused(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        TarMember("demo-1.0/up", kind=tarfile.SYMTYPE, linkname=".."),
        TarMember("demo-1.0/abs", kind=tarfile.SYMTYPE, linkname="/etc/passwd"),
        TarMember("demo-1.0/sibling", kind=tarfile.SYMTYPE, linkname="../demo-1.0x/y"),
    )
    found = reasons(path)
    assert len(found) == 3
    assert all("points outside the top-level directory" in reason for reason in found)


def test_member_limit_stops_early(tmp_path: Path) -> None:
    found = reasons(make_sdist(tmp_path), Limits(max_members=2))
    assert found == ["Invalid distribution file. The archive has more than 2 members."]


def test_streamed_expansion_limit(tmp_path: Path) -> None:
    path = write(tmp_path, TarMember("demo-1.0/zeros", bytes(300_000)))
    assert reasons(path) == []
    found = reasons(path, Limits(ratio_threshold_size=100_000))
    assert len(found) == 1
    assert "compression ratio exceeds 50" in found[0]
    found = reasons(path, Limits(max_uncompressed_size=50_000))
    assert "expands to more than 50000 bytes" in found[0]


def test_oversized_pkg_info_is_refused(tmp_path: Path) -> None:
    path = make_sdist(tmp_path, pkg_info=b"Name: x\n" + b"#" * (1024 * 1024))
    found = reasons(path)
    assert any("'demo-1.0/PKG-INFO' is larger than" in reason for reason in found)


def test_pkg_info_must_be_at_the_top(tmp_path: Path) -> None:
    path = make_sdist(
        tmp_path, omit_pkg_info=True, extra_members=[TarMember("demo-1.0/sub/PKG-INFO", b"x")]
    )
    assert reasons(path) == [
        "Invalid distribution file. The source distribution does not contain 'demo-1.0/PKG-INFO'."
    ]


def test_unreadable_file_is_a_problem(tmp_path: Path) -> None:
    (tmp_path / "demo-1.0.tar.gz").write_bytes(b"")
    found = reasons(tmp_path / "demo-1.0.tar.gz")
    assert len(found) == 1
    assert "not a valid gzip-compressed tar" in found[0]
