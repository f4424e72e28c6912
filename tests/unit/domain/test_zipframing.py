"""Strict ZIP framing: the plain layout is read; every deviation is named."""

from __future__ import annotations

import contextlib
import io
import zipfile

import pytest
from hypothesis import given
from hypothesis import strategies as st

from strongroom.domain.zipframing import ZipFramingError, read_entries
from tests.builders import RawMember, craft_zip, zip_bytes

MEMBERS = [("pkg/a.py", b"print('a')\n" * 20), ("pkg/b.txt", b"")]


def entries_of(data: bytes) -> list[str]:
    return [entry.name for entry in read_entries(io.BytesIO(data), len(data))]


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
        (craft_zip(raw(central={"offset": 0xFFFFFFFF})), "ZIP64"),
        (craft_zip(raw(central={"offset": 3})), "overlaps another member"),
    ],
)
def test_framing_faults_are_named(data: bytes, message: str) -> None:
    with pytest.raises(ZipFramingError, match=None) as caught:
        entries_of(data)
    assert message in str(caught.value)


@given(st.binary(max_size=400))
def test_random_bytes_raise_only_framing_errors(data: bytes) -> None:
    with contextlib.suppress(ZipFramingError):
        entries_of(data)


@given(st.integers(min_value=0), st.integers(min_value=0, max_value=255))
def test_single_byte_mutations_raise_only_framing_errors(position: int, value: int) -> None:
    data = bytearray(zip_bytes(MEMBERS))
    data[position % len(data)] = value
    with contextlib.suppress(ZipFramingError):
        entries_of(bytes(data))
