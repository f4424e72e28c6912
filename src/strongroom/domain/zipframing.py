"""Strict ZIP framing: the archive must mean the same thing to every ZIP reader.

Different readers find members differently (from the central directory, or by scanning local
headers), so an archive with leading or trailing data, gaps, duplicate names or headers that
disagree can show one tool different files than another. We accept only the plain layout:
local records back to back from offset 0, then the central directory, then an end record with
no comment. ZIP64, encryption and data descriptors are refused; wheels never need them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

STORED = 0
DEFLATED = 8

_EOCD = struct.Struct("<4sHHHHIIH")
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_EOCD_SIG = b"PK\x05\x06"
_CENTRAL_SIG = b"PK\x01\x02"
_LOCAL_SIG = b"PK\x03\x04"
_FLAG_ENCRYPTED = 0x1
_FLAG_DATA_DESCRIPTOR = 0x8
_FLAG_UTF8 = 0x800
_ZIP64_MARK = 0xFFFFFFFF
# The file type bits of a Unix mode (``stat.S_IFMT``), kept in the high half of a member's
# external attributes; zero when the archiver recorded none.
_FILE_TYPE_MASK = 0o170000
_REGULAR_FILE = 0o100000
_DIRECTORY = 0o040000
_MAX_CENTRAL_DIRECTORY = 64 * 1024 * 1024


class ZipFramingError(Exception):
    """The archive's structure is not the strict layout described in the module docstring."""


@dataclass(frozen=True)
class ZipEntry:
    """One member as the central directory declares it."""

    name: str
    method: int
    crc: int
    compressed_size: int
    size: int
    offset: int
    file_type: int = 0  # ``stat.S_IFMT`` bits of the recorded Unix mode; 0 when none

    @property
    def is_dir(self) -> bool:
        """Whether the member is a directory entry (its name ends in ``/``)."""
        return self.name.endswith("/")

    @property
    def is_special(self) -> bool:
        """Whether the recorded mode makes the member something other than a regular file or a
        directory: a symbolic link, a device, a FIFO or a socket, which an unpacker that honours
        modes would create as such."""
        return self.file_type not in (0, _REGULAR_FILE, _DIRECTORY)


def read_entries(stream: BinaryIO, file_size: int) -> list[ZipEntry]:
    """The members of the ZIP archive in ``stream`` (``file_size`` bytes long), in file order.

    Raises ZipFramingError naming the first structural fault found.
    """
    count, cd_size, cd_offset = _read_end_record(stream, file_size)
    if cd_size > _MAX_CENTRAL_DIRECTORY:
        raise ZipFramingError("the central directory is too large")
    stream.seek(cd_offset)
    directory = stream.read(cd_size)
    entries = _parse_central_directory(directory, count)
    entries.sort(key=lambda entry: entry.offset)
    position = 0
    for entry in entries:
        if entry.offset != position:
            raise ZipFramingError(
                f"unexpected data before the local header of {entry.name!r}"
                if entry.offset > position
                else f"the local header of {entry.name!r} overlaps another member"
            )
        position = _check_local_header(stream, entry)
    if position != cd_offset:
        raise ZipFramingError("unexpected data between the last member and the central directory")
    return entries


def _read_end_record(stream: BinaryIO, file_size: int) -> tuple[int, int, int]:
    if file_size < _EOCD.size:
        raise ZipFramingError("the file is too short to be a ZIP archive")
    stream.seek(file_size - _EOCD.size)
    record = stream.read(_EOCD.size)
    sig, disk, cd_disk, disk_entries, entries, cd_size, cd_offset, comment_len = _EOCD.unpack(
        record
    )
    if sig != _EOCD_SIG:
        raise ZipFramingError(_misplaced_end_record(stream, file_size))
    if comment_len:
        raise ZipFramingError("archive comments are not allowed")
    if disk or cd_disk or disk_entries != entries:
        raise ZipFramingError("multi-disk archives are not allowed")
    if entries == 0xFFFF or _ZIP64_MARK in (cd_size, cd_offset):
        raise ZipFramingError("ZIP64 archives are not allowed")
    if cd_offset + cd_size != file_size - _EOCD.size:
        raise ZipFramingError("unexpected data around the central directory")
    return entries, cd_size, cd_offset


def _misplaced_end_record(stream: BinaryIO, file_size: int) -> str:
    """Explain why the end record is not in the last 22 bytes."""
    window = min(file_size, _EOCD.size + 0xFFFF)
    stream.seek(file_size - window)
    tail = stream.read(window)
    found = tail.rfind(_EOCD_SIG)
    if found < 0 or found + _EOCD.size > len(tail):
        return "no end of central directory record found; this is not a ZIP archive"
    (comment_len,) = struct.unpack_from("<H", tail, found + _EOCD.size - 2)
    if found + _EOCD.size + comment_len == len(tail):
        return "archive comments are not allowed"
    return "no end of central directory record at the end of the file (trailing data)"


def _parse_central_directory(directory: bytes, count: int) -> list[ZipEntry]:
    entries: list[ZipEntry] = []
    seen: set[str] = set()
    position = 0
    for _ in range(count):
        header = directory[position : position + _CENTRAL.size]
        if len(header) != _CENTRAL.size:
            raise ZipFramingError("the central directory is truncated")
        fields = _CENTRAL.unpack(header)
        sig, flags, method, crc, csize, usize = fields[0], fields[3], fields[4], *fields[7:10]
        name_len, extra_len, comment_len, disk = fields[10:14]
        external_attributes, offset = fields[15], fields[16]
        if sig != _CENTRAL_SIG:
            raise ZipFramingError("bad central directory entry signature")
        start = position + _CENTRAL.size
        raw_name = directory[start : start + name_len]
        position = start + name_len + extra_len + comment_len
        if position > len(directory) or len(raw_name) != name_len:
            raise ZipFramingError("the central directory is truncated")
        name = _decode_name(raw_name, flags)
        if comment_len:
            raise ZipFramingError(f"member comments are not allowed ({name!r})")
        _check_entry_flags(name, flags, method, disk)
        if _ZIP64_MARK in (csize, usize, offset):
            raise ZipFramingError(f"ZIP64 members are not allowed ({name!r})")
        if name in seen:
            raise ZipFramingError(f"duplicate member name {name!r}")
        seen.add(name)
        file_type = (external_attributes >> 16) & _FILE_TYPE_MASK
        entries.append(ZipEntry(name, method, crc, csize, usize, offset, file_type))
    if position != len(directory):
        raise ZipFramingError("the central directory has more entries than declared")
    return entries


def _check_entry_flags(name: str, flags: int, method: int, disk: int) -> None:
    if disk:
        raise ZipFramingError(f"multi-disk archives are not allowed ({name!r})")
    if flags & _FLAG_ENCRYPTED:
        raise ZipFramingError(f"encrypted members are not allowed ({name!r})")
    if flags & _FLAG_DATA_DESCRIPTOR:
        raise ZipFramingError(f"data descriptors are not allowed ({name!r})")
    if method not in (STORED, DEFLATED):
        raise ZipFramingError(
            f"member {name!r} uses compression method {method}; only STORED and DEFLATED "
            "are allowed"
        )


def _decode_name(raw: bytes, flags: int) -> str:
    # Without the UTF-8 flag the legacy encoding is CP437; we accept only its ASCII subset so
    # that no two readers can decode a name differently.
    try:
        name = raw.decode("utf-8") if flags & _FLAG_UTF8 else raw.decode("ascii")
    except UnicodeDecodeError:
        raise ZipFramingError(f"member name {raw!r} is not valid UTF-8") from None
    if not name.isprintable():
        raise ZipFramingError(f"member name {name!r} has unprintable characters")
    return name


def _check_local_header(stream: BinaryIO, entry: ZipEntry) -> int:
    """Compare ``entry`` with its local header; return the offset just after its data."""
    stream.seek(entry.offset)
    header = stream.read(_LOCAL.size)
    if len(header) != _LOCAL.size:
        raise ZipFramingError(f"the local header of {entry.name!r} is truncated")
    sig, _version, flags, method, _time, _date, crc, csize, usize, name_len, extra_len = (
        _LOCAL.unpack(header)
    )
    if sig != _LOCAL_SIG:
        raise ZipFramingError(f"bad local header signature for {entry.name!r}")
    raw_name = stream.read(name_len)
    try:
        name = _decode_name(raw_name, flags)
    except ZipFramingError:
        name = ""
    if name != entry.name:
        raise ZipFramingError(
            f"the local header name {raw_name!r} does not match the central directory "
            f"name {entry.name!r}"
        )
    if flags & _FLAG_DATA_DESCRIPTOR:
        raise ZipFramingError(f"data descriptors are not allowed ({entry.name!r})")
    if (method, crc, csize, usize) != (
        entry.method,
        entry.crc,
        entry.compressed_size,
        entry.size,
    ):
        raise ZipFramingError(
            f"the local header of {entry.name!r} does not match its central directory entry "
            "(method, CRC or sizes differ)"
        )
    return entry.offset + _LOCAL.size + int(name_len) + int(extra_len) + entry.compressed_size
