"""Inspecting an sdist: a gzip-compressed tar (or a legacy format: another tar, or a ZIP
framed as strictly as a wheel) with one top directory holding PKG-INFO.

The archive is read as a stream, counting decompressed bytes as they are produced, so a
decompression bomb is stopped as soon as it passes the limit instead of after it has expanded.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import lzma
import os
import tarfile
import zipfile
import zlib
from typing import BinaryIO, Protocol

from strongroom.config import Limits
from strongroom.domain import rules
from strongroom.domain.archive_rules import (
    MAX_METADATA_SIZE,
    ArchiveContents,
    capped,
    escapes,
    expansion_cap,
    expansion_problem,
    unsafe_path_reason,
)
from strongroom.domain.wheels import checked_entries

_CHUNK = 64 * 1024
_READ_ERRORS = (tarfile.TarError, EOFError, zlib.error, lzma.LZMAError, OSError, ValueError)


class _ExpansionExceededError(Exception):
    """The decompressed stream passed its byte budget."""


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class _BudgetedReader:
    """A read-only stream that counts bytes read from ``source`` and stops past ``budget``."""

    def __init__(self, source: _Readable, budget: int) -> None:
        self._source = source
        self._budget = budget
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (never more than one chunk past the budget)."""
        if size < 0 or size > _CHUNK:
            size = _CHUNK
        data = self._source.read(size)
        self.count += len(data)
        if self.count > self._budget:
            raise _ExpansionExceededError
        return data


class _Scan:
    """What the member-by-member pass over the tar stream has seen so far."""

    def __init__(self) -> None:
        self.reasons: list[str] = []
        self.hard_links: list[str] = []  # to earlier files of the same tree: an import's warning
        self.files: set[str] = set()
        self.tops: set[str] = set()
        self.top_files: set[str] = set()
        self.pkg_info: dict[str, bytes] = {}
        self.members = 0


def read_sdist(stream: BinaryIO, limits: Limits, extension: str = ".tar.gz") -> ArchiveContents:
    """Inspect the sdist in the seekable ``stream``, an archive of the format its file name's
    ``extension`` names (.tar.gz, or a legacy one: filenames.SDIST_EXTENSIONS): return its
    PKG-INFO bytes (when found) and every problem.

    Never raises for bad bytes.
    """
    contents = ArchiveContents("PKG-INFO")
    size = stream.seek(0, os.SEEK_END)
    if extension == ".zip":
        return _read_zip(stream, size, limits, contents)
    if zipfile.is_zipfile(stream):
        contents.reject("The file is both a tar and a ZIP archive.")
        return contents
    stream.seek(0)
    scan = _Scan()
    kind = _TAR_KINDS[extension]
    try:
        with _decompressed(stream, extension) as unpacked:
            reader = _BudgetedReader(unpacked, expansion_cap(size, limits))
            try:
                _scan_stream(reader, scan, limits)
            except _ExpansionExceededError:
                contents.reject(
                    expansion_problem(reader.count, size, limits) or "The archive is too large."
                )
                return contents
    except _READ_ERRORS as exc:
        contents.reject(f"The source distribution is not a valid {kind}: {exc}.")
        return contents
    if scan.members > limits.max_members:
        contents.reject(f"The archive has more than {limits.max_members} members.")
        return contents
    for reason in capped(scan.reasons):
        contents.reject(reason)
    for reason in capped(scan.hard_links):
        contents.reject(reason, rule=rules.HARD_LINK)
    _check_layout(scan, contents)
    return contents


_TAR_KINDS = {".tar.gz": "gzip-compressed tar", ".tgz": "gzip-compressed tar",
              ".tar.bz2": "bzip2-compressed tar", ".tbz": "bzip2-compressed tar",
              ".tar.xz": "xz-compressed tar", ".tar": "tar"}


def _decompressed(stream: BinaryIO, extension: str) -> contextlib.AbstractContextManager[_Readable]:
    """The decompressing reader of ``stream`` for a tar of ``extension``."""
    if extension in (".tar.gz", ".tgz"):
        return gzip.GzipFile(fileobj=stream, mode="rb")
    if extension in (".tar.bz2", ".tbz"):
        return bz2.BZ2File(stream, mode="rb")
    if extension == ".tar.xz":
        return lzma.LZMAFile(stream, mode="rb")
    return contextlib.nullcontext(stream)


def _read_zip(stream: BinaryIO, size: int, limits: Limits, contents: ArchiveContents
              ) -> ArchiveContents:
    """A .zip sdist: framed as strictly as a wheel, laid out as a tar sdist."""
    try:
        entries = checked_entries(stream, size, limits, contents)
        if entries is None:
            return contents
        scan = _Scan()
        stream.seek(0)
        with zipfile.ZipFile(stream) as archive:
            for entry in entries:
                name = entry.name.rstrip("/")
                top, _, rest = name.partition("/")
                scan.tops.add(top)
                if not rest and not entry.is_dir:
                    scan.top_files.add(top)
                if rest == "PKG-INFO" and not entry.is_dir:
                    if entry.size > MAX_METADATA_SIZE:
                        contents.reject(f"{name!r} is larger than {MAX_METADATA_SIZE} bytes.")
                        return contents
                    with archive.open(entry.name) as member:
                        scan.pkg_info[top] = member.read(MAX_METADATA_SIZE)
    except (zipfile.BadZipFile, *_READ_ERRORS) as exc:
        contents.reject(f"The source distribution is not a valid ZIP archive: {exc}.")
        return contents
    _check_layout(scan, contents)
    return contents


def _scan_stream(reader: _BudgetedReader, scan: _Scan, limits: Limits) -> None:
    with tarfile.open(fileobj=reader, mode="r|") as archive:  # type: ignore[call-overload]
        for member in archive:
            scan.members += 1
            if scan.members > limits.max_members:
                return
            _scan_member(archive, member, scan)
    # Reading to the end surfaces trailing garbage after the gzip stream.
    while reader.read(_CHUNK):
        pass


def _scan_member(archive: tarfile.TarFile, member: tarfile.TarInfo, scan: _Scan) -> None:
    name = member.name.rstrip("/")
    reason = unsafe_path_reason(name) or _type_reason(member)
    if reason is None and not name.isprintable():
        reason = f"Member {name!r} has unprintable characters in its name."
    top, _, rest = name.partition("/")
    if reason is None and member.issym() and escapes(name, member.linkname, top):
        reason = f"Symbolic link {name!r} points outside the top-level directory."
    if reason is None and member.islnk():
        reason = _hard_link_reason(name, member.linkname, top, scan)
    if reason is not None:
        scan.reasons.append(reason)
        return
    if member.isreg():
        scan.files.add(name)
    scan.tops.add(top)
    if not rest and not member.isdir():
        scan.top_files.add(top)
    if rest == "PKG-INFO" and member.isreg():
        if member.size > MAX_METADATA_SIZE:
            scan.reasons.append(f"{name!r} is larger than {MAX_METADATA_SIZE} bytes.")
        else:
            scan.pkg_info[top] = _read_bounded(archive, member)


def _type_reason(member: tarfile.TarInfo) -> str | None:
    if member.type == tarfile.GNUTYPE_SPARSE or member.sparse is not None:
        return f"Member {member.name!r} is a sparse file."
    if member.isdev():
        return f"Member {member.name!r} is a device or FIFO."
    if not (member.isreg() or member.isdir() or member.issym() or member.islnk()):
        return f"Member {member.name!r} has an unsupported type {member.type!r}."
    return None


def _hard_link_reason(name: str, target: str, top: str, scan: _Scan) -> str | None:
    """Why hard link ``name`` to ``target`` is refused by every policy, or None when it links
    to an earlier regular file of its own tree (then it is noted in ``scan.hard_links``: tar
    wrote such links for identical files for decades, and extractors make a copy)."""
    if target in scan.files and target.partition("/")[0] == top:
        scan.hard_links.append(f"Member {name!r} is a hard link; hard links are not allowed.")
        return None
    return f"Hard link {name!r} does not point to an earlier file of its top-level directory."


def _read_bounded(archive: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    extracted = archive.extractfile(member)
    return b"" if extracted is None else extracted.read(MAX_METADATA_SIZE)


def _check_layout(scan: _Scan, contents: ArchiveContents) -> None:
    if len(scan.tops) != 1 or scan.top_files:
        contents.reject(
            "The source distribution must contain exactly one top-level directory, "
            f"found {len(scan.tops)} top-level entries."
        )
        return
    (top,) = scan.tops
    data = scan.pkg_info.get(top)
    if data is None:
        contents.reject(f"The source distribution does not contain '{top}/PKG-INFO'.")
        return
    contents.metadata_bytes = data
