"""One-line builders of real wheels and sdists, good or deliberately bad, plus raw archive helpers.

Everything is deterministic (fixed timestamps, owners and ordering): building the same thing twice
gives the same bytes, which the duplicate-upload tests rely on.

    make_wheel(tmp_path, "demo-lib", "1.0", deps=("idna>=3",))  -> Path to a valid wheel
    make_sdist(tmp_path, "demo-lib", "1.0")                     -> Path to a valid sdist
    make_wheel(tmp_path, extra_metadata_lines=("Classifier: Nope",))   -> bad metadata
    craft_zip([RawMember("a", b"x", local={"crc": 0})])         -> ZIP bytes with a lying header
    tar_gz_bytes([TarMember("x/PKG-INFO", b"..."), TarMember("x/l", kind=tarfile.LNKTYPE)])
    multipart_form([("name", "demo")], [("content", ("demo.whl", data))])  -> (type, body)
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import struct
import tarfile
import zipfile
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.utils import canonicalize_name

DATE_TIME = (2020, 2, 2, 0, 0, 0)
MTIME = 1_580_601_600
DEFAULT_DESCRIPTION = "Demo\n====\n\nA package built by the Strongroom test builders.\n"


def escaped(name: str) -> str:
    """``name`` as wheel and sdist file names spell it."""
    return canonicalize_name(name).replace("-", "_")


def metadata_text(
    name: str,
    version: str,
    *,
    metadata_version: str = "2.1",
    summary: str | None = "A demo package",
    deps: Iterable[str] = (),
    requires_python: str | None = None,
    description: str | None = DEFAULT_DESCRIPTION,
    description_content_type: str | None = "text/x-rst",
    extra_metadata_lines: Iterable[str] = (),
) -> str:
    """Core metadata in email format; the description goes in the body."""
    lines = [f"Metadata-Version: {metadata_version}", f"Name: {name}", f"Version: {version}"]
    if summary is not None:
        lines.append(f"Summary: {summary}")
    if requires_python is not None:
        lines.append(f"Requires-Python: {requires_python}")
    lines += [f"Requires-Dist: {dep}" for dep in deps]
    if description_content_type is not None:
        lines.append(f"Description-Content-Type: {description_content_type}")
    lines += list(extra_metadata_lines)
    text = "\n".join(lines) + "\n"
    return text + "\n" + description if description is not None else text


def record_digest(data: bytes) -> str:
    """The RECORD hash field for ``data``."""
    raw = hashlib.sha256(data).digest()
    return "sha256=" + base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def record_for(members: Mapping[str, bytes], record_path: str) -> bytes:
    """A correct RECORD for ``members`` (plus its own unhashed line)."""
    lines = [f"{path},{record_digest(data)},{len(data)}" for path, data in members.items()]
    lines.append(f"{record_path},,")
    return ("\n".join(lines) + "\n").encode()


def wheel_members(
    name: str = "demo",
    version: str = "1.0",
    *,
    deps: Iterable[str] = (),
    requires_python: str | None = None,
    summary: str | None = "A demo package",
    description: str | None = DEFAULT_DESCRIPTION,
    description_content_type: str | None = "text/x-rst",
    extra_metadata_lines: Iterable[str] = (),
    metadata_version: str = "2.1",
    tag: str = "py3-none-any",
    extra_files: Mapping[str, bytes] | None = None,
    metadata: bytes | None = None,
    wheel_file: bytes | None = None,
    record: bytes | None = None,
    omit: Iterable[str] = (),
    dist_info: str | None = None,
) -> dict[str, bytes]:
    """The members of a wheel, path to bytes, in archive order (see :func:`make_wheel`)."""
    module = escaped(name)
    info = dist_info or f"{module}-{version}.dist-info"
    if metadata is None:
        metadata = metadata_text(
            name,
            version,
            metadata_version=metadata_version,
            summary=summary,
            deps=deps,
            requires_python=requires_python,
            description=description,
            description_content_type=description_content_type,
            extra_metadata_lines=extra_metadata_lines,
        ).encode()
    if wheel_file is None:
        wheel_file = (
            f"Wheel-Version: 1.0\nGenerator: strongroom-tests\nRoot-Is-Purelib: true\nTag: {tag}\n"
        ).encode()
    members: dict[str, bytes] = {
        f"{module}/__init__.py": f'__version__ = "{version}"\n'.encode(),
        **(extra_files or {}),
        f"{info}/METADATA": metadata,
        f"{info}/WHEEL": wheel_file,
    }
    record_path = f"{info}/RECORD"
    members[record_path] = record if record is not None else record_for(members, record_path)
    for path in omit:
        members.pop(path, None)
    return members


def make_wheel(
    directory: Path,
    name: str = "demo",
    version: str = "1.0",
    *,
    tag: str = "py3-none-any",
    filename: str | None = None,
    compression: int = zipfile.ZIP_DEFLATED,
    modes: Mapping[str, int] | None = None,
    force_zip64: bool = False,
    **knobs: Any,
) -> Path:
    """Write a wheel to ``directory`` and return its path.

    By default it is valid. Knobs (passed to :func:`wheel_members`): ``deps``,
    ``requires_python``, ``summary``, ``description``, ``description_content_type``,
    ``extra_metadata_lines``, ``metadata_version``; ``metadata``/``wheel_file``/``record``
    replace those files' bytes; ``omit`` drops members by archive path; ``extra_files`` adds
    members listed in RECORD; ``dist_info`` and ``filename`` override the .dist-info directory
    and file names. ``modes`` gives members a Unix mode other than a plain file's (a symbolic
    link is ``0o120777`` with the target as its bytes); ``force_zip64`` writes ZIP64 local
    headers (see :func:`zip_bytes`).
    """
    members = wheel_members(name, version, tag=tag, **knobs)
    target = directory / (filename or f"{escaped(name)}-{version}-{tag}.whl")
    directory.mkdir(parents=True, exist_ok=True)
    target.write_bytes(zip_bytes(members.items(), compression=compression, modes=modes,
                                 force_zip64=force_zip64))
    return target


def sdist_members(
    name: str = "demo",
    version: str = "1.0",
    *,
    deps: Iterable[str] = (),
    requires_python: str | None = None,
    summary: str | None = "A demo package",
    description: str | None = DEFAULT_DESCRIPTION,
    description_content_type: str | None = "text/x-rst",
    extra_metadata_lines: Iterable[str] = (),
    metadata_version: str = "2.1",
    pkg_info: bytes | None = None,
    top: str | None = None,
    extra_members: Iterable[TarMember] = (),
    omit_pkg_info: bool = False,
) -> list[TarMember]:
    """The members of an sdist, in archive order (see :func:`make_sdist`)."""
    module = escaped(name)
    root = top or f"{module}-{version}"
    if pkg_info is None:
        pkg_info = metadata_text(
            name,
            version,
            metadata_version=metadata_version,
            summary=summary,
            deps=deps,
            requires_python=requires_python,
            description=description,
            description_content_type=description_content_type,
            extra_metadata_lines=extra_metadata_lines,
        ).encode()
    pyproject = (
        '[build-system]\nrequires = ["setuptools"]\nbuild-backend = "setuptools.build_meta"\n\n'
        f'[project]\nname = "{name}"\nversion = "{version}"\n'
    ).encode()
    members = [
        TarMember(root, kind=tarfile.DIRTYPE),
        TarMember(f"{root}/pyproject.toml", pyproject),
        TarMember(f"{root}/{module}/__init__.py", f'__version__ = "{version}"\n'.encode()),
    ]
    if not omit_pkg_info:
        members.append(TarMember(f"{root}/PKG-INFO", pkg_info))
    members += list(extra_members)
    return members


def make_sdist(
    directory: Path,
    name: str = "demo",
    version: str = "1.0",
    *,
    filename: str | None = None,
    **knobs: Any,
) -> Path:
    """Write an sdist (``.tar.gz``) to ``directory`` and return its path.

    By default it is valid and buildable with setuptools. Knobs (passed to
    :func:`sdist_members`): the metadata knobs of :func:`make_wheel`; ``pkg_info`` replaces
    PKG-INFO, ``omit_pkg_info`` leaves it out, ``top`` renames the top directory,
    ``extra_members`` appends raw :class:`TarMember` entries.
    """
    target = directory / (filename or f"{escaped(name)}-{version}.tar.gz")
    directory.mkdir(parents=True, exist_ok=True)
    target.write_bytes(tar_gz_bytes(sdist_members(name, version, **knobs)))
    return target


# --- raw archives -------------------------------------------------------------------------


def zip_bytes(
    members: Iterable[tuple[str, bytes]],
    *,
    compression: int = zipfile.ZIP_DEFLATED,
    comment: bytes = b"",
    modes: Mapping[str, int] | None = None,
    force_zip64: bool = False,
) -> bytes:
    """A well-formed ZIP of ``members`` (written by :mod:`zipfile`, fixed timestamps); each
    member's Unix mode is ``0o644`` (no file type) unless ``modes`` gives one. With
    ``force_zip64`` every local header carries ZIP64 sizes, as zipfile writes them for a member
    that may pass 2 GiB."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path, data in members:
            info = zipfile.ZipInfo(path, date_time=DATE_TIME)
            info.compress_type = compression
            info.external_attr = (modes or {}).get(path, 0o644) << 16
            if force_zip64:
                with archive.open(info, "w", force_zip64=True) as member:
                    member.write(data)
            else:
                archive.writestr(info, data)
        archive.comment = comment
    return buffer.getvalue()


ZIP64_MARK = 0xFFFFFFFF


def zip64_extra(*values: int) -> bytes:
    """A ZIP64 extended information extra field holding ``values`` (8 bytes each)."""
    return struct.pack(f"<HH{len(values)}Q", 1, 8 * len(values), *values)


@dataclass
class RawMember:
    """One member for :func:`craft_zip`; ``local``/``central`` override header fields.

    Overridable keys: ``name`` (bytes), ``flags``, ``method``, ``crc``, ``csize``, ``usize``,
    ``extra`` (bytes), and for ``central`` also ``offset``. With ``zip64`` both headers mark
    their sizes (and the central one its offset) 0xFFFFFFFF and carry the values in a ZIP64
    extra field.
    """

    name: str
    data: bytes
    method: int = zipfile.ZIP_DEFLATED
    local: dict[str, int | bytes] = field(default_factory=dict)
    central: dict[str, int | bytes] = field(default_factory=dict)
    zip64: bool = False


@dataclass
class Zip64End:
    """The ZIP64 end record and locator :func:`craft_zip` writes, true unless told otherwise:
    ``extensible`` data after the record's fixed fields (counted in its size field), a ``gap``
    between the locator and the end record, another entry ``count``, the locator's ``disks``.
    """

    extensible: bytes = b""
    gap: bytes = b""
    count: int | None = None
    disks: int = 1


def craft_zip(
    members: Iterable[RawMember],
    *,
    prefix: bytes = b"",
    between: bytes = b"",
    suffix: bytes = b"",
    comment: bytes = b"",
    count: int | None = None,
    zip64: Zip64End | None = None,
    end: Mapping[str, int] | None = None,
) -> bytes:
    """A hand-framed ZIP, for archives :mod:`zipfile` refuses to write.

    ``prefix`` goes before the first local header, ``between`` after the last member's data,
    ``suffix`` after the end record; ``count`` overrides the declared number of entries.
    ``zip64`` adds a ZIP64 end record and locator before the end record, whose ``count``,
    ``size`` and ``offset`` (of the central directory) ``end`` overrides, e.g. with markers.
    """
    body = bytearray(prefix)
    central = bytearray()
    listed = list(members)
    for member in listed:
        raw = member.data
        if member.method == zipfile.ZIP_DEFLATED:
            packer = zlib.compressobj(6, zlib.DEFLATED, -15)
            payload = packer.compress(raw) + packer.flush()
        else:
            payload = raw
        base: dict[str, int | bytes] = {
            "name": member.name.encode(),
            "flags": 0x800,
            "method": member.method,
            "crc": zlib.crc32(raw),
            "csize": len(payload),
            "usize": len(raw),
            "offset": len(body),
            "extra": b"",
        }
        loc = {**base, **_zip64_fields(member, base, local=True), **member.local}
        cen = {**base, **_zip64_fields(member, base, local=False), **member.central}
        body += _local_header(loc) + payload
        central += _central_header(cen)
    body += between
    cd_offset = len(body)
    total = len(listed) if count is None else count
    records = b"" if zip64 is None else _zip64_records(zip64, total, len(central), cd_offset)
    classic = {"count": total, "size": len(central), "offset": cd_offset, **(end or {})}
    end_record = struct.pack(
        "<4sHHHHIIH", b"PK\x05\x06", 0, 0, classic["count"], classic["count"],
        classic["size"], classic["offset"], len(comment),
    )
    return bytes(body + central + records + end_record + comment + suffix)


def _zip64_fields(
    member: RawMember, base: Mapping[str, int | bytes], *, local: bool
) -> dict[str, int | bytes]:
    """The header fields that make ``member`` ZIP64 (markers, and their values in a ZIP64 extra
    field), or none when it is not."""
    if not member.zip64:
        return {}
    values = [int(base["usize"]), int(base["csize"])] + ([] if local else [int(base["offset"])])
    marked: dict[str, int | bytes] = {"usize": ZIP64_MARK, "csize": ZIP64_MARK}
    if not local:
        marked["offset"] = ZIP64_MARK
    return {**marked, "extra": zip64_extra(*values)}


def _zip64_records(zip64: Zip64End, count: int, cd_size: int, cd_offset: int) -> bytes:
    """A ZIP64 end record for a central directory right before it, then its locator."""
    total = count if zip64.count is None else zip64.count
    record = struct.pack(
        "<4sQHHIIQQQQ", b"PK\x06\x06", 44 + len(zip64.extensible), 45, 45, 0, 0, total,
        total, cd_size, cd_offset,
    )
    locator = struct.pack("<4sIQI", b"PK\x06\x07", 0, cd_offset + cd_size, zip64.disks)
    return record + zip64.extensible + locator + zip64.gap


def _local_header(f: Mapping[str, int | bytes]) -> bytes:
    name = bytes(f["name"])
    return (
        struct.pack(
            "<4sHHHHHIIIHH",
            b"PK\x03\x04",
            20,
            f["flags"],
            f["method"],
            0,
            0x5042,
            f["crc"],
            f["csize"],
            f["usize"],
            len(name),
            len(bytes(f["extra"])),
        )
        + name
        + bytes(f["extra"])
    )


def _central_header(f: Mapping[str, int | bytes]) -> bytes:
    name = bytes(f["name"])
    return (
        struct.pack(
            "<4sHHHHHHIIIHHHHHII",
            b"PK\x01\x02",
            20,
            20,
            f["flags"],
            f["method"],
            0,
            0x5042,
            f["crc"],
            f["csize"],
            f["usize"],
            len(name),
            len(bytes(f["extra"])),
            0,
            0,
            0,
            0o644 << 16,
            f["offset"],
        )
        + name
        + bytes(f["extra"])
    )


@dataclass
class TarMember:
    """One member for :func:`tar_gz_bytes`: a path, data, and a tarfile type constant."""

    name: str
    data: bytes = b""
    kind: bytes = tarfile.REGTYPE
    linkname: str = ""


def tar_bytes(members: Iterable[TarMember], *, fmt: int = tarfile.PAX_FORMAT) -> bytes:
    """An uncompressed tar of ``members`` with fixed owners and times."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=fmt) as archive:
        for member in members:
            info = tarfile.TarInfo(member.name)
            info.type = member.kind
            info.linkname = member.linkname
            info.mtime = MTIME
            info.mode = 0o755 if member.kind == tarfile.DIRTYPE else 0o644
            if member.kind in tarfile.REGULAR_TYPES:
                info.size = len(member.data)
                archive.addfile(info, io.BytesIO(member.data))
            else:
                archive.addfile(info)
    return buffer.getvalue()


def gzip_bytes(data: bytes) -> bytes:
    """``data`` gzip-compressed with no timestamp or file name, so output is reproducible."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0, filename="") as stream:
        stream.write(data)
    return buffer.getvalue()


def tar_gz_bytes(
    members: Iterable[TarMember], *, trailing: bytes = b"", fmt: int = tarfile.PAX_FORMAT
) -> bytes:
    """A gzip-compressed tar of ``members``, with ``trailing`` bytes appended after the gzip."""
    return gzip_bytes(tar_bytes(members, fmt=fmt)) + trailing


BOUNDARY = "e5f2f3c9f8924638a1338ee9abaf0847"


def multipart_form(fields: list[tuple[str, str]], files: list[tuple[str, tuple[str, bytes]]]
                   ) -> tuple[str, bytes]:
    """A Content-Type and multipart body framed as twine (requests-toolbelt) frames them."""
    parts = [f'Content-Disposition: form-data; name="{name}"\r\n\r\n'.encode() + value.encode()
             for name, value in fields]
    parts += [f'Content-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
              "Content-Type: application/octet-stream\r\n\r\n".encode() + data
              for name, (filename, data) in files]
    body = b"".join(f"--{BOUNDARY}\r\n".encode() + part + b"\r\n" for part in parts)
    return f"multipart/form-data; boundary={BOUNDARY}", body + f"--{BOUNDARY}--\r\n".encode()
