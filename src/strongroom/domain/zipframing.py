"""Strict ZIP framing: the archive must mean the same thing to every ZIP reader.

Different readers find members differently (from the central directory, or by scanning local
headers), so an archive with leading or trailing data, gaps, duplicate names or headers that
disagree can show one tool different files than another. We accept only the plain layout:
local records back to back from offset 0, then the central directory, then an end record with
no comment. Encryption and data descriptors are refused; wheels never need them.

ZIP64 (APPNOTE 4.3.14, 4.3.15, 4.5.3), which Python's zipfile writes for members, offsets or
a central directory past 2 GiB - 1 and for more than 65,535 members, is accepted in one layout:

* the ZIP64 end record and its locator sit between the central directory and the end record,
  back to back with nothing between: the locator must point to the record right before it; the
  record's size field must be 44, its fixed part alone (extensible data would be skipped by
  readers that follow the locator and misread by those that assume the fixed size, Python's
  zipfile among them);
* single disk; each end-record value that is not the 0xFFFF / 0xFFFFFFFF marker must equal the
  ZIP64 record's. A ZIP64 record with no marker to fill is allowed: Python's zipfile writes
  one whenever the central directory starts past 2 GiB - 1, yet marks only values past
  4 GiB - 1, so a 2.5 GiB member gives exactly that. Without a ZIP64 record a marker is
  refused, except an entry count of 65,535, which zipfile writes as it is and the central
  directory then confirms;
* a ZIP64 extra field (header id 0x0001) holds exactly the values its header marks
  0xFFFFFFFF, in the order uncompressed size, compressed size, local header offset (a
  starting disk would be a fourth; multi-disk is refused). A local header marks both sizes or
  neither, and its sizes must equal the central directory's. A marker without its value, a
  second ZIP64 extra field, or extra fields that do not split exactly into records are
  refused.

``ZipEntry`` values are the real 64-bit ones.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import BinaryIO

STORED = 0
DEFLATED = 8

_EOCD = struct.Struct("<4sHHHHIIH")
_ZIP64_END = struct.Struct("<4sQHHIIQQQQ")
_ZIP64_LOCATOR = struct.Struct("<4sIQI")
_EXTRA_HEADER = struct.Struct("<HH")
_CENTRAL = struct.Struct("<4sHHHHHHIIIHHHHHII")
_LOCAL = struct.Struct("<4sHHHHHIIIHH")
_EOCD_SIG = b"PK\x05\x06"
_CENTRAL_SIG = b"PK\x01\x02"
_LOCAL_SIG = b"PK\x03\x04"
_ZIP64_END_SIG = b"PK\x06\x06"
_ZIP64_LOCATOR_SIG = b"PK\x06\x07"
# The ZIP64 end record's size field counts the bytes after itself (4.3.14.1).
_ZIP64_END_FIXED_SIZE = _ZIP64_END.size - 12
_ZIP64_EXTRA_ID = 0x0001
_FLAG_ENCRYPTED = 0x1
_FLAG_DATA_DESCRIPTOR = 0x8
_FLAG_UTF8 = 0x800
_ZIP64_MARK = 0xFFFFFFFF
_ZIP64_COUNT_MARK = 0xFFFF
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
    end = _read_directory_end(stream, file_size)
    if end.size > _MAX_CENTRAL_DIRECTORY:
        raise ZipFramingError("the central directory is too large")
    stream.seek(end.offset)
    directory = stream.read(end.size)
    entries = _parse_central_directory(directory, end.count)
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
    if position != end.offset:
        raise ZipFramingError("unexpected data between the last member and the central directory")
    return entries


@dataclass(frozen=True)
class _DirectoryEnd:
    """Where the central directory is and how many entries it declares, as an end record says."""

    count: int
    size: int
    offset: int


def _read_directory_end(stream: BinaryIO, file_size: int) -> _DirectoryEnd:
    """The central directory's place from the end record, and from the ZIP64 end record when
    a locator precedes it; checks that the directory ends where those records begin."""
    if file_size < _EOCD.size:
        raise ZipFramingError("the file is too short to be a ZIP archive")
    record_at = file_size - _EOCD.size
    stream.seek(record_at)
    sig, disk, cd_disk, disk_entries, entries, cd_size, cd_offset, comment_len = _EOCD.unpack(
        stream.read(_EOCD.size)
    )
    if sig != _EOCD_SIG:
        raise ZipFramingError(_misplaced_end_record(stream, file_size))
    if comment_len:
        raise ZipFramingError("archive comments are not allowed")
    if disk or cd_disk or disk_entries != entries:
        raise ZipFramingError("multi-disk archives are not allowed")
    classic = _DirectoryEnd(entries, cd_size, cd_offset)
    zip64 = _read_zip64_end(stream, record_at)
    if zip64 is None:
        if _ZIP64_MARK in (cd_size, cd_offset):
            raise ZipFramingError(
                "the end record marks a value as ZIP64, but no ZIP64 locator comes just "
                "before it"
            )
        end, directory_end = classic, record_at
    else:
        _check_zip64_agrees(classic, zip64)
        end, directory_end = zip64, record_at - _ZIP64_LOCATOR.size - _ZIP64_END.size
    if end.offset + end.size != directory_end:
        raise ZipFramingError("unexpected data around the central directory")
    return end


def _read_zip64_end(stream: BinaryIO, record_at: int) -> _DirectoryEnd | None:
    """The ZIP64 end record's values when a ZIP64 locator ends just before the end record at
    ``record_at``, else None; the record must be the fixed-size one, just before the locator."""
    locator_at = record_at - _ZIP64_LOCATOR.size
    if locator_at < 0:
        return None
    stream.seek(locator_at)
    sig, disk, zip64_at, disks = _ZIP64_LOCATOR.unpack(stream.read(_ZIP64_LOCATOR.size))
    if sig != _ZIP64_LOCATOR_SIG:
        return None
    if disk or disks > 1:
        raise ZipFramingError("multi-disk archives are not allowed")
    if zip64_at + _ZIP64_END.size > locator_at:
        raise ZipFramingError("the ZIP64 locator does not point to a ZIP64 end record")
    stream.seek(zip64_at)
    (sig, record_size, _made_by, _needed, disk, cd_disk, disk_entries, entries, cd_size,
     cd_offset) = _ZIP64_END.unpack(stream.read(_ZIP64_END.size))
    if sig != _ZIP64_END_SIG:
        raise ZipFramingError("the ZIP64 locator does not point to a ZIP64 end record")
    if record_size != _ZIP64_END_FIXED_SIZE:
        raise ZipFramingError(
            f"the ZIP64 end record's size is {record_size}, not {_ZIP64_END_FIXED_SIZE}: "
            "ZIP64 extensible data is not allowed"
        )
    if zip64_at + _ZIP64_END.size != locator_at:
        raise ZipFramingError("unexpected data between the ZIP64 end record and its locator")
    if disk or cd_disk or disk_entries != entries:
        raise ZipFramingError("multi-disk archives are not allowed")
    return _DirectoryEnd(entries, cd_size, cd_offset)


def _check_zip64_agrees(classic: _DirectoryEnd, zip64: _DirectoryEnd) -> None:
    """Every end-record value other than its marker must be the ZIP64 record's too."""
    for field, mark, value, zip64_value in (
        ("number of entries", _ZIP64_COUNT_MARK, classic.count, zip64.count),
        ("central directory size", _ZIP64_MARK, classic.size, zip64.size),
        ("central directory offset", _ZIP64_MARK, classic.offset, zip64.offset),
    ):
        if value not in (mark, zip64_value):
            raise ZipFramingError(
                f"the end record's {field} ({value}) differs from the ZIP64 end record's "
                f"({zip64_value})"
            )


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
        extra = directory[start + name_len : start + name_len + extra_len]
        position = start + name_len + extra_len + comment_len
        if position > len(directory) or len(raw_name) != name_len:
            raise ZipFramingError("the central directory is truncated")
        name = _decode_name(raw_name, flags)
        if comment_len:
            raise ZipFramingError(f"member comments are not allowed ({name!r})")
        _check_entry_flags(name, flags, method, disk)
        if extra or _ZIP64_MARK in (usize, csize, offset):
            usize, csize, offset = _with_zip64_values(
                extra, (usize, csize, offset), "the central directory entry of", name
            )
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
    name_and_extra = stream.read(name_len + extra_len)  # one read: most members have no extra
    raw_name = name_and_extra[:name_len]
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
    extra = name_and_extra[name_len:]
    if len(extra) != extra_len:
        raise ZipFramingError(f"the local header of {entry.name!r} is truncated")
    if (usize == _ZIP64_MARK) != (csize == _ZIP64_MARK):
        # 4.5.3: a local header's ZIP64 extra field holds both sizes or neither.
        raise ZipFramingError(
            f"the local header of {entry.name!r} marks only one of its sizes as ZIP64"
        )
    if extra or _ZIP64_MARK in (usize, csize):
        usize, csize = _with_zip64_values(extra, (usize, csize), "the local header of",
                                          entry.name)
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


def _with_zip64_values(extra: bytes, values: tuple[int, ...], header: str, name: str
                       ) -> tuple[int, ...]:
    """``values`` (a header's uncompressed size, compressed size and, in the central directory,
    local header offset: the ZIP64 extra field's order) with each 0xFFFFFFFF marker replaced by
    the value the ZIP64 extra field in the header's ``extra`` bytes holds for it.

    ``header`` and the member's ``name`` say in messages which header it is. Raises
    ZipFramingError when the extra field does not hold exactly one 8-byte value per marker.
    """
    where = f"{header} {name!r}"
    zip64 = _zip64_extra_field(extra, where)
    marked = sum(value == _ZIP64_MARK for value in values)
    if zip64 is None:
        if marked:
            raise ZipFramingError(f"{where} marks a value as ZIP64 but has no ZIP64 extra field")
        return values
    if len(zip64) != 8 * marked:
        raise ZipFramingError(
            f"the ZIP64 extra field of {where} holds {len(zip64)} bytes, but the header marks "
            f"{marked} value(s) as ZIP64, which need {8 * marked}"
        )
    supplied = iter(struct.unpack(f"<{marked}Q", zip64))
    return tuple(next(supplied) if value == _ZIP64_MARK else value for value in values)


def _zip64_extra_field(extra: bytes, where: str) -> bytes | None:
    """The data of the ZIP64 extra field among the header's ``extra`` records, or None.

    The extra bytes must split exactly into (id, length, data) records, at most one of them
    ZIP64: readers that stop early or take another copy would see other sizes.
    """
    found: bytes | None = None
    position = 0
    while position < len(extra):
        if position + _EXTRA_HEADER.size > len(extra):
            raise ZipFramingError(f"the extra field of {where} is malformed")
        header_id, length = _EXTRA_HEADER.unpack_from(extra, position)
        start = position + _EXTRA_HEADER.size
        position = start + length
        if position > len(extra):
            raise ZipFramingError(f"the extra field of {where} is malformed")
        if header_id == _ZIP64_EXTRA_ID:
            if found is not None:
                raise ZipFramingError(f"{where} has more than one ZIP64 extra field")
            found = extra[start:position]
    return found
