"""Inspecting a wheel: strict ZIP framing, expansion limits, the .dist-info files and RECORD."""

from __future__ import annotations

import os
import zipfile
import zlib
from email.parser import BytesHeaderParser
from typing import BinaryIO

from packaging.utils import canonicalize_name
from packaging.version import Version

from strongroom.config import Limits
from strongroom.domain import rules
from strongroom.domain.archive_rules import (
    ARCHIVES_HELP,
    MAX_METADATA_SIZE,
    MAX_RECORD_SIZE,
    ArchiveContents,
    capped,
    expansion_problem,
    unsafe_path_reason,
)
from strongroom.domain.echo import brief
from strongroom.domain.filenames import ParsedFilename
from strongroom.domain.records import (
    RecordRow,
    compare_file,
    compare_listing,
    encode_digest,
    new_hash,
    parse_record,
)
from strongroom.domain.zipframing import ZipEntry, ZipFramingError, read_entries

_CHUNK = 64 * 1024
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError)


def read_wheel(stream: BinaryIO, limits: Limits, parsed: ParsedFilename | None
               ) -> ArchiveContents:
    """Inspect the wheel in the seekable ``stream``; ``parsed`` is its file name when usable.

    Returns the METADATA bytes (when found) and every problem; never raises for bad bytes.
    """
    contents = ArchiveContents("METADATA")
    try:
        size = stream.seek(0, os.SEEK_END)
        entries = checked_entries(stream, size, limits, contents)
        if entries is None:
            return contents
        stream.seek(0)
        with zipfile.ZipFile(stream) as archive:
            _inspect_members(archive, entries, parsed, contents)
    except _READ_ERRORS as exc:
        contents.reject(f"The wheel could not be read: {exc}.")
    return contents


def wheel_metadata(stream: BinaryIO) -> bytes | None:
    """The METADATA file of a wheel that passed ``read_wheel`` (its PEP 658 metadata file), read
    from the seekable ``stream``; None when it has none or cannot be read."""
    try:
        with zipfile.ZipFile(stream) as archive:
            names = [name for name in archive.namelist()
                     if name.count("/") == 1 and name.endswith(".dist-info/METADATA")]
            if len(names) != 1:
                return None
            with archive.open(names[0]) as member:
                data = member.read(MAX_METADATA_SIZE + 1)
    except _READ_ERRORS:
        return None
    return data if len(data) <= MAX_METADATA_SIZE else None


def checked_entries(
    stream: BinaryIO, size: int, limits: Limits, contents: ArchiveContents
) -> list[ZipEntry] | None:
    """The members of the ZIP archive in ``stream`` (``size`` bytes), or None after rejecting
    it in ``contents``: strict framing, member count, expansion, and safe regular members."""
    try:
        entries = read_entries(stream, size)
    except ZipFramingError as exc:
        contents.reject(f"The ZIP framing is not valid: {exc}. {ARCHIVES_HELP}")
        return None
    if len(entries) > limits.max_members:
        contents.reject(f"The archive has more than {limits.max_members} members.")
        return None
    too_big = expansion_problem(sum(entry.size for entry in entries), size, limits)
    if too_big:
        contents.reject(too_big)
        return None
    unsafe = [reason for entry in entries
              if (reason := unsafe_path_reason(entry.name) or _special_reason(entry))]
    for reason in capped(unsafe):
        contents.reject(reason)
    return None if unsafe else entries


def _special_reason(entry: ZipEntry) -> str | None:
    """Why a member whose mode is not a regular file's or a directory's is refused, or None.

    pip and installer write every member as a plain file, but unzip and other tools that honour
    modes would create the link or device, so one wheel would unpack differently by tool.
    """
    if not entry.is_special:
        return None
    return (f"Member {entry.name!r} is a symbolic link, device, FIFO or socket "
            f"(mode {entry.file_type:#o}); archives may hold only regular files and "
            "directories.")


def _inspect_members(
    archive: zipfile.ZipFile,
    entries: list[ZipEntry],
    parsed: ParsedFilename | None,
    contents: ArchiveContents,
) -> None:
    dist_info = _find_dist_info(entries, parsed, contents)
    if dist_info is None:
        return
    by_name = {entry.name: entry for entry in entries}
    missing = [f for f in ("METADATA", "WHEEL", "RECORD") if f"{dist_info}/{f}" not in by_name]
    for file in missing:
        contents.reject(f"The wheel does not contain the required file '{dist_info}/{file}'.")
    if missing:
        return
    contents.metadata_bytes = _read_small(archive, by_name[f"{dist_info}/METADATA"], contents)
    wheel_file = _read_small(archive, by_name[f"{dist_info}/WHEEL"], contents)
    if wheel_file is not None:
        _check_wheel_file(wheel_file, dist_info, contents)
    record = _read_small(archive, by_name[f"{dist_info}/RECORD"], contents, MAX_RECORD_SIZE)
    if record is not None:
        # Members read whole already are hashed from memory, not decompressed again.
        read = {f"{dist_info}/METADATA": contents.metadata_bytes,
                f"{dist_info}/WHEEL": wheel_file}
        _check_record(archive, entries, record, dist_info, contents,
                      read={name: data for name, data in read.items() if data is not None})


def _find_dist_info(
    entries: list[ZipEntry], parsed: ParsedFilename | None, contents: ArchiveContents
) -> str | None:
    tops = sorted({entry.name.split("/", 1)[0] for entry in entries if "/" in entry.name})
    candidates = [top for top in tops if top.endswith(".dist-info")]
    if len(candidates) != 1:
        found = "no" if not candidates else "more than one"
        contents.reject(f"The wheel has {found} top-level .dist-info directory.")
        return None
    dist_info = candidates[0]
    if parsed is not None and not _dist_info_matches(dist_info, parsed):
        # Reported, but the metadata is still read so that its own problems show too.
        contents.reject(
            f"The .dist-info directory {brief(dist_info)} does not match the file name; expected "
            f"'{parsed.name_part}-{parsed.version_part}.dist-info'."
        )
    return dist_info


def _dist_info_matches(dist_info: str, parsed: ParsedFilename) -> bool:
    name, _, version = dist_info.removesuffix(".dist-info").rpartition("-")
    try:
        same_version = Version(version) == Version(parsed.version_part)
    except ValueError:  # InvalidVersion, or a number too long for int()
        return False
    return same_version and canonicalize_name(name) == canonicalize_name(parsed.name_part)


def _read_small(
    archive: zipfile.ZipFile,
    entry: ZipEntry,
    contents: ArchiveContents,
    cap: int = MAX_METADATA_SIZE,
) -> bytes | None:
    if entry.size > cap:
        contents.reject(f"{entry.name!r} is larger than {cap} bytes.")
        return None
    with archive.open(entry.name) as member:
        return member.read(cap + 1)[:cap]


def _check_wheel_file(data: bytes, dist_info: str, contents: ArchiveContents) -> None:
    version = BytesHeaderParser().parsebytes(data).get("Wheel-Version", "")
    major, _, _ = str(version).strip().partition(".")
    if major != "1":
        contents.reject(
            f"'{dist_info}/WHEEL' must declare Wheel-Version 1.x, not {str(version)!r}.", "WHEEL"
        )


def _check_record(
    archive: zipfile.ZipFile,
    entries: list[ZipEntry],
    record: bytes,
    dist_info: str,
    contents: ArchiveContents,
    *,
    read: dict[str, bytes],
) -> None:
    rows, problems = parse_record(record, dist_info)
    files = [entry for entry in entries if not entry.is_dir]
    problems += compare_listing(rows, [entry.name for entry in files], dist_info)
    for entry in files:
        row = rows.get(entry.name)
        if row is not None and row.algorithm is not None:
            data = read.get(entry.name)
            mismatch = (_hash_member(archive, entry, row, row.algorithm) if data is None
                        else _hash_bytes(data, row, row.algorithm))
            if mismatch:
                problems.append(mismatch)
    for problem in capped(problems):
        contents.reject(problem, "RECORD", rules.RECORD_MISMATCH)


def _hash_bytes(data: bytes, row: RecordRow, algorithm: str) -> str | None:
    digest = new_hash(algorithm)
    digest.update(data)
    return compare_file(row, encode_digest(digest.digest()), len(data))


def _hash_member(
    archive: zipfile.ZipFile, entry: ZipEntry, row: RecordRow, algorithm: str
) -> str | None:
    digest = new_hash(algorithm)
    size = 0
    with archive.open(entry.name) as member:
        while chunk := member.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
    return compare_file(row, encode_digest(digest.digest()), size)
