"""Strict ZIP framing: the plain layout is read; every deviation is named."""

from __future__ import annotations

import contextlib
import io
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.domain.zipframing import ZipEntry, ZipFramingError, read_entries
from tests.builders import (
    ZIP64_MARK,
    RawMember,
    Zip64End,
    craft_zip,
    zip64_extra,
    zip_bytes,
)

MEMBERS = [("pkg/a.py", b"print('a')\n" * 20), ("pkg/b.txt", b"")]


def entries_of(data: bytes) -> list[str]:
    return [entry.name for entry in read_entries(io.BytesIO(data), len(data))]


def read(data: bytes) -> list[ZipEntry]:
    return read_entries(io.BytesIO(data), len(data))


def test_zipfile_output_is_accepted() -> None:
    assert entries_of(zip_bytes(MEMBERS)) == ["pkg/a.py", "pkg/b.txt"]
    assert entries_of(zip_bytes(MEMBERS, compression=zipfile.ZIP_STORED)) == [
        "pkg/a.py",
        "pkg/b.txt",
    ]


def test_crafted_archive_matches_zipfile() -> None:
    data = craft_zip([RawMember(name, body) for name, body in MEMBERS])
    assert entries_of(data) == ["pkg/a.py", "pkg/b.txt"]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("pkg/a.py") == MEMBERS[0][1]


def test_empty_archive_has_no_entries() -> None:
    assert entries_of(zip_bytes([])) == []


def raw(**changes: object) -> list[RawMember]:
    members = [RawMember(name, body) for name, body in MEMBERS]
    for key, value in changes.items():
        setattr(members[1], key, value)
    return members


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "too short"),
        (b"x" * 100, "not a ZIP archive"),
        (zip_bytes(MEMBERS, comment=b"hi"), "archive comments"),
        (zip_bytes(MEMBERS) + b"tail", "trailing data"),
        (b"head" + zip_bytes(MEMBERS), "around the central directory"),
        (craft_zip(raw(), prefix=b"head"), "before the local header"),
        (craft_zip(raw(), between=b"gap"), "between the last member"),
        (craft_zip(raw(), count=3), "truncated"),
        (craft_zip(raw(), count=1), "more entries than declared"),
        (craft_zip(raw(name="pkg/a.py")), "duplicate member name 'pkg/a.py'"),
        (craft_zip(raw(local={"name": b"pkg/c.txt"})), "does not match the central directory"),
        (craft_zip(raw(local={"usize": 9})), "(method, CRC or sizes differ)"),
        (craft_zip(raw(local={"method": 0})), "(method, CRC or sizes differ)"),
        (craft_zip(raw(local={"flags": 0x808})), "data descriptors"),
        (craft_zip(raw(central={"flags": 0x808}, local={"flags": 0x808})), "data descriptors"),
        (craft_zip(raw(central={"flags": 0x801})), "encrypted"),
        (craft_zip(raw(method=14)), "compression method 14"),
        (craft_zip(raw(central={"name": b"\xffx", "flags": 0})), "not valid UTF-8"),
        (craft_zip(raw(name="pkg/\x07bell")), "unprintable"),
        (craft_zip(raw(central={"offset": ZIP64_MARK})), "has no ZIP64 extra field"),
        (craft_zip(raw(central={"offset": 3})), "overlaps another member"),
    ],
)
def test_framing_faults_are_named(data: bytes, message: str) -> None:
    with pytest.raises(ZipFramingError, match=None) as caught:
        entries_of(data)
    assert message in str(caught.value)


# --- ZIP64 ---------------------------------------------------------------------------------

# Stored, so that sizes and offsets are known: 10 bytes of data after a 30 + 10 + 20 byte header.
BIG = RawMember("pkg/big.bin", b"x" * 10, method=zipfile.ZIP_STORED, zip64=True)
SMALL = RawMember("pkg/small.txt", b"y" * 3, method=zipfile.ZIP_STORED)
SMALL_OFFSET = 30 + len("pkg/big.bin") + 20 + 10
END_MARKS = {"count": 0xFFFF, "size": ZIP64_MARK, "offset": ZIP64_MARK}


def zip64_members(**changes: object) -> list[RawMember]:
    """BIG with ``changes`` to its fields, then SMALL (a classic member)."""
    big = RawMember(BIG.name, BIG.data, BIG.method, zip64=True)
    for key, value in changes.items():
        setattr(big, key, value)
    return [big, RawMember(SMALL.name, SMALL.data, SMALL.method)]


def test_forced_zip64_members_are_read_with_their_sizes() -> None:
    data = zip_bytes(MEMBERS, force_zip64=True)
    assert b"\1\0\x10\0" in data  # zipfile did write a ZIP64 extra field of two sizes
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        expected = [(i.filename, i.file_size, i.compress_size) for i in archive.infolist()]
    assert [(e.name, e.size, e.compressed_size) for e in read(data)] == expected
    assert expected[0][1] == len(MEMBERS[0][1])


def test_crafted_zip64_archive_is_read_as_zipfile_reads_it() -> None:
    data = craft_zip(zip64_members(), zip64=Zip64End(), end=END_MARKS)
    entries = read(data)
    assert [(e.name, e.size, e.compressed_size, e.offset) for e in entries] == [
        ("pkg/big.bin", 10, 10, 0),
        ("pkg/small.txt", 3, 3, SMALL_OFFSET),
    ]
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read("pkg/big.bin") == BIG.data
        assert archive.getinfo("pkg/small.txt").header_offset == SMALL_OFFSET


def test_a_zip64_offset_alone_is_read() -> None:
    offset = SMALL_OFFSET - 20  # after a first member without a ZIP64 extra field
    small = RawMember(SMALL.name, SMALL.data, SMALL.method)
    small.central = {"offset": ZIP64_MARK, "extra": zip64_extra(offset)}
    data = craft_zip([RawMember(BIG.name, BIG.data, BIG.method), small])
    assert read(data)[1].offset == offset
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert archive.read(SMALL.name) == SMALL.data


def test_a_zip64_end_record_no_value_needs_is_accepted() -> None:
    # What zipfile writes when the central directory starts between 2 GiB and 4 GiB.
    assert entries_of(craft_zip(raw(), zip64=Zip64End())) == ["pkg/a.py", "pkg/b.txt"]


@pytest.mark.parametrize(("members", "zip64"), [(65_535, False), (65_536, True)])
def test_zipfile_archives_around_the_entry_count_limit(members: int, zip64: bool) -> None:
    data = zip_bytes((f"{i}", b"") for i in range(members))
    assert (b"PK\x06\x06" in data) == zip64  # 65,535 fits the end record: 0xFFFF, no ZIP64
    assert len(entries_of(data)) == members


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (craft_zip(raw(), zip64=Zip64End(extensible=b"\0" * 8)), "extensible data"),
        (craft_zip(raw(), end={"offset": ZIP64_MARK}), "no ZIP64 locator comes just before"),
        (craft_zip(raw(), end={"size": ZIP64_MARK}), "no ZIP64 locator comes just before"),
        (craft_zip(raw(), zip64=Zip64End(gap=b"junk"), end=END_MARKS), "no ZIP64 locator"),
        (craft_zip(raw(), zip64=Zip64End(gap=b"junk")), "around the central directory"),
        (craft_zip(raw(), zip64=Zip64End(count=5)), "number of entries (2) differs"),
        (craft_zip(raw(), zip64=Zip64End(count=5), end=END_MARKS), "truncated"),
        (craft_zip(raw(), zip64=Zip64End(disks=2)), "multi-disk"),
        (craft_zip(raw(), between=b"gap", zip64=Zip64End()), "between the last member"),
        (craft_zip(zip64_members(local={"extra": zip64_extra(11, 10)})), "sizes differ"),
        (craft_zip(zip64_members(central={"extra": zip64_extra(10, 11, 0)})), "sizes differ"),
        (craft_zip(zip64_members(local={"usize": 10})), "marks only one of its sizes"),
        (craft_zip(zip64_members(central={"extra": b""})), "has no ZIP64 extra field"),
        (craft_zip(zip64_members(central={"extra": zip64_extra(10, 10)})), "need 24"),
        (craft_zip(zip64_members(central={"extra": zip64_extra(10, 10, 0, 0)})), "need 24"),
        (craft_zip(zip64_members(local={"extra": zip64_extra(10, 10, 0)})), "need 16"),
        (craft_zip(zip64_members(local={"extra": zip64_extra(10, 10) * 2})),
         "more than one ZIP64 extra field"),
        (craft_zip(zip64_members(central={"extra": zip64_extra(10, 10, 0) + b"\0"})),
         "is malformed"),
        (craft_zip(zip64_members(central={"extra": b"\1\0\x20\0" + bytes(24)})),
         "is malformed"),
    ],
)
def test_zip64_faults_are_named(data: bytes, message: str) -> None:
    with pytest.raises(ZipFramingError) as caught:
        entries_of(data)
    assert message in str(caught.value)


ZIP64_ARCHIVE = craft_zip(zip64_members(), zip64=Zip64End(), end=END_MARKS)


@given(st.binary(max_size=400))
def test_random_bytes_raise_only_framing_errors(data: bytes) -> None:
    with contextlib.suppress(ZipFramingError):
        entries_of(data)


@given(
    st.sampled_from([zip_bytes(MEMBERS), ZIP64_ARCHIVE]),
    st.integers(min_value=0),
    st.integers(min_value=0, max_value=255),
)
def test_single_byte_mutations_raise_only_framing_errors(
    archive: bytes, position: int, value: int
) -> None:
    data = bytearray(archive)
    data[position % len(data)] = value
    with contextlib.suppress(ZipFramingError):
        entries_of(bytes(data))
