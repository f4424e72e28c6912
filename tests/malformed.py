"""The malformed-upload corpus: every way an upload to ``POST /legacy/`` must be refused.

Usage in a functional test::

    @pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
    def test_rejected(case, tmp_path):
        filename, data, fields = case.build(tmp_path)
        response = post_upload(filename, data, fields)   # multipart, twine's field names
        assert response.status_code == case.status
        assert case.message in response.reason_phrase or response.text

``fields`` is the complete form: :func:`default_fields` (correct digests, the metadata's name
and version) merged with the case's overrides. A ``None`` value means "leave this field out";
``fields["content"] is None`` means "send no file part". :func:`form` drops the ``None`` values.
"""

from __future__ import annotations

import hashlib
import tarfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.builders import (
    RawMember,
    TarMember,
    craft_zip,
    gzip_bytes,
    make_sdist,
    make_wheel,
    metadata_text,
    record_digest,
    record_for,
    sdist_members,
    tar_bytes,
    tar_gz_bytes,
    wheel_members,
    zip_bytes,
)

Fields = dict[str, str | None]
Upload = tuple[str, bytes, Fields]
WHEEL_NAME = "demo-1.0-py3-none-any.whl"
SDIST_NAME = "demo-1.0.tar.gz"
INFO = "demo-1.0.dist-info"
BOMB_SIZE = 65 * 1024 * 1024


def default_fields(
    filename: str, data: bytes, name: str, version: str, filetype: str
) -> dict[str, str | None]:
    """The form twine would send for this file, with correct digests."""
    parts = filename.removesuffix(".whl").split("-")
    pyversion = parts[-3] if filetype == "bdist_wheel" and len(parts) >= 5 else "py3"
    return {
        ":action": "file_upload",
        "protocol_version": "1",
        "name": name,
        "version": version,
        "filetype": filetype,
        "pyversion": pyversion if filetype != "sdist" else "source",
        "metadata_version": "2.1",
        "md5_digest": hashlib.md5(data, usedforsecurity=False).hexdigest(),
        "sha256_digest": hashlib.sha256(data).hexdigest(),
        "blake2_256_digest": hashlib.blake2b(data, digest_size=32).hexdigest(),
        "content": "present",
    }


def form(fields: Mapping[str, str | None]) -> dict[str, str]:
    """The fields to send: those not set to None, without the ``content`` marker."""
    return {key: value for key, value in fields.items() if value is not None and key != "content"}


@dataclass(frozen=True)
class MalformedCase:
    """One upload that must be refused with ``status`` and a reason containing ``message``."""

    id: str
    make: Callable[[Path], tuple[str, bytes]]
    message: str
    filetype: str = "bdist_wheel"
    name: str = "demo"
    version: str = "1.0"
    overrides: Mapping[str, str | None] | None = None
    status: int = 400

    def build(self, directory: Path) -> Upload:
        """Write nothing permanent; return (filename, file bytes, complete form fields)."""
        filename, data = self.make(directory)
        fields = default_fields(filename, data, self.name, self.version, self.filetype)
        fields.update(self.overrides or {})
        return filename, data, fields


def _wheel(filename: str | None = None, **knobs: Any) -> Callable[[Path], tuple[str, bytes]]:
    def make(directory: Path) -> tuple[str, bytes]:
        path = make_wheel(directory / "wheels", filename=filename, **knobs)
        return path.name, path.read_bytes()

    return make


def _sdist(filename: str | None = None, **knobs: Any) -> Callable[[Path], tuple[str, bytes]]:
    def make(directory: Path) -> tuple[str, bytes]:
        path = make_sdist(directory / "sdists", filename=filename, **knobs)
        return path.name, path.read_bytes()

    return make


def _raw(filename: str, build: Callable[[], bytes]) -> Callable[[Path], tuple[str, bytes]]:
    def make(_directory: Path) -> tuple[str, bytes]:
        return filename, build()

    return make


def _renamed(
    filename: str, make: Callable[[Path], tuple[str, bytes]]
) -> Callable[[Path], tuple[str, bytes]]:
    def renamed(directory: Path) -> tuple[str, bytes]:
        return filename, make(directory)[1]

    return renamed


def _crafted(
    tweak: Callable[[list[RawMember]], list[RawMember]] = lambda m: m, **framing: Any
) -> Callable[[Path], tuple[str, bytes]]:
    """A hand-framed copy of the default wheel, after ``tweak`` edits its member list."""

    def build() -> bytes:
        members = [RawMember(path, data) for path, data in wheel_members().items()]
        return craft_zip(tweak(members), **framing)

    return _raw(WHEEL_NAME, build)


def _edit_first(**changes: Any) -> Callable[[list[RawMember]], list[RawMember]]:
    def tweak(members: list[RawMember]) -> list[RawMember]:
        for key, value in changes.items():
            setattr(members[0], key, value)
        return members

    return tweak


def _with_record(members: dict[str, bytes]) -> dict[str, bytes]:
    members.pop(f"{INFO}/RECORD", None)
    members[f"{INFO}/RECORD"] = record_for(members, f"{INFO}/RECORD")
    return members


def _zip_bomb() -> bytes:
    members = _with_record({**wheel_members(), "demo/zeros.bin": bytes(BOMB_SIZE)})
    return zip_bytes(members.items())


def _tar_bomb() -> bytes:
    members = [*sdist_members(), TarMember("demo-1.0/zeros.bin", bytes(BOMB_SIZE))]
    return tar_gz_bytes(members)


def _tar(*extra: TarMember, fmt: int = tarfile.PAX_FORMAT) -> Callable[[Path], tuple[str, bytes]]:
    return _raw(SDIST_NAME, lambda: tar_gz_bytes([*sdist_members(), *extra], fmt=fmt))


def _special(content: str, mode: int) -> Callable[[Path], tuple[str, bytes]]:
    """The default wheel plus ``demo/special`` (listed in RECORD) with Unix ``mode``."""
    return _wheel(extra_files={"demo/special": content.encode()}, modes={"demo/special": mode})


def _meta(*lines: str, **knobs: Any) -> Callable[[Path], tuple[str, bytes]]:
    return _wheel(extra_metadata_lines=lines, **knobs)


_INIT = b'__version__ = "1.0"\n'
_BAD_RST = "Title\n=====\n\n.. raw:: html\n\n   <script>alert(1)</script>\n"
_C = MalformedCase
_SDIST = "sdist"

FORM_CASES = [
    _C("unknown-action", _wheel(), "Unknown action", overrides={":action": "frobnicate"}),
    _C("protocol-version-2", _wheel(), "Unknown protocol version",
       overrides={"protocol_version": "2"}),
    _C("no-digests", _wheel(), "Include at least one message digest",
       overrides={"md5_digest": None, "sha256_digest": None, "blake2_256_digest": None}),
    _C("sha256-mismatch", _wheel(), "The digest supplied does not match",
       overrides={"sha256_digest": "0" * 64}),
    _C("blake2-mismatch", _wheel(), "The digest supplied does not match",
       overrides={"blake2_256_digest": "f" * 64}),
    _C("missing-content", _wheel(), "Upload payload does not have a file",
       overrides={"content": None}),
    _C("form-name-mismatch", _wheel(), "does not match the distribution's metadata",
       overrides={"name": "other-project"}),
    _C("form-version-mismatch", _wheel(), "does not match the distribution's metadata",
       overrides={"version": "9.9"}),
    _C("form-version-huge-number", _wheel(), "is an invalid value for Version",
       overrides={"version": "1." + "0" * 5000}),
    _C("filetype-egg", _raw("demo-1.0-py3.11.egg", lambda: zip_bytes([("EGG-INFO/PKG-INFO", b"")])),
       "Invalid value for filetype", filetype="bdist_egg"),
    _C("filetype-wininst", _raw("demo-1.0.win32.exe", lambda: b"MZ"), "Invalid value for filetype",
       filetype="bdist_wininst"),
]  # fmt: skip

FILENAME_CASES = [
    _C("filename-control-char", _renamed("demo-1.0-py3-none-any\x7f.whl", _wheel()),
       "control characters"),
    _C("filename-slash", _renamed("dist/demo-1.0-py3-none-any.whl", _wheel()), "'/' or '\\'"),
    _C("filename-too-long", _renamed("demo" * 70 + "-1.0-py3-none-any.whl", _wheel()),
       "at most 255 characters"),
    _C("filename-backslash", _renamed("dist\\demo-1.0-py3-none-any.whl", _wheel()),
       "'/' or '\\'"),
    _C("sdist-zip", _raw("demo-1.0.zip", lambda: zip_bytes([("demo-1.0/PKG-INFO", b"")])),
       "PEP 625", filetype=_SDIST),
    _C("sdist-tar-bz2", _raw("demo-1.0.tar.bz2", lambda: b"BZh9"), "legacy formats",
       filetype=_SDIST),
    _C("wheel-wrong-extension", _sdist(), "must end in .whl"),
    _C("sdist-wrong-extension", _wheel(), "must end in .tar.gz", filetype=_SDIST),
    _C("wheel-name-unparseable", _wheel(filename="demo-1.0.whl"), "Invalid wheel filename"),
    _C("wheel-name-not-normalized", _wheel(filename="Demo-1.0-py3-none-any.whl", name="Demo"),
       "normalized project name", name="Demo"),
    _C("wheel-name-differs", _wheel(filename="other-1.0-py3-none-any.whl"), "Start filename with"),
    _C("wheel-version-differs", _wheel(filename="demo-2.0-py3-none-any.whl"),
       "does not match the version"),
    _C("wheel-version-not-normalized", _wheel(filename="demo-01.0-py3-none-any.whl"),
       "normalized version"),
    _C("wheel-platform-linux", _wheel(tag="cp311-cp311-linux_x86_64"), "unsupported platform tag"),
    _C("sdist-name-not-normalized", _sdist(filename="Demo-1.0.tar.gz", name="Demo"),
       "normalized project name", filetype=_SDIST, name="Demo"),
    _C("sdist-name-differs", _sdist(filename="other-1.0.tar.gz"), "Start filename with",
       filetype=_SDIST),
    _C("sdist-name-unparseable", _sdist(filename="demo.tar.gz"),
       "Invalid source distribution filename", filetype=_SDIST),
]  # fmt: skip

ZIP_CASES = [
    _C("wheel-not-a-zip", _raw(WHEEL_NAME, lambda: b"not a zip at all" * 10),
       "Invalid distribution file."),
    _C("zip-comment", _crafted(comment=b"hello"), "archive comments"),
    _C("zip-leading-data", _crafted(prefix=b"junk"), "before the local header"),
    _C("zip-trailing-data", _crafted(suffix=b"junk"), "no end of central directory record"),
    _C("zip-data-before-directory", _crafted(between=b"junk"),
       "between the last member and the central directory"),
    _C("zip-duplicate-name", _crafted(lambda m: [*m, RawMember(m[0].name, b"evil")]),
       "duplicate member name"),
    _C("zip-local-name-differs", _crafted(_edit_first(local={"name": b"demo/__init__.pz"})),
       "does not match the central directory name"),
    _C("zip-local-crc-differs", _crafted(_edit_first(local={"crc": 1})),
       "does not match its central directory entry"),
    _C("zip-data-descriptor",
       _crafted(_edit_first(local={"flags": 0x808}, central={"flags": 0x808})),
       "data descriptors are not allowed"),
    _C("zip-encrypted", _crafted(_edit_first(local={"flags": 0x801}, central={"flags": 0x801})),
       "encrypted members"),
    _C("zip-bzip2", _crafted(_edit_first(local={"method": 12}, central={"method": 12})),
       "only STORED and DEFLATED"),
    _C("zip-non-utf8-name", _crafted(_edit_first(local={"name": b"\xff.py", "flags": 0x800},
                                                 central={"name": b"\xff.py"})),
       "not valid UTF-8"),
    _C("zip-absolute-path", _wheel(extra_files={"/etc/evil": b"x"}), "absolute"),
    _C("zip-dotdot-path", _wheel(extra_files={"demo/../../evil": b"x"}), "'..' path component"),
    _C("zip-bomb", _raw(WHEEL_NAME, _zip_bomb), "decompression bomb"),
    _C("zip-symlink-absolute", _special("/etc/passwd", 0o120777), "is a symbolic link"),
    _C("zip-symlink-escapes", _special("../../etc/passwd", 0o120777), "is a symbolic link"),
    _C("zip-symlink-inside", _special("__init__.py", 0o120777), "is a symbolic link"),
    _C("zip-char-device", _special("", 0o020644), "device, FIFO or socket"),
    _C("zip-fifo", _special("", 0o010644), "device, FIFO or socket"),
]  # fmt: skip

WHEEL_CASES = [
    _C("wheel-no-dist-info", _wheel(omit=(f"{INFO}/METADATA", f"{INFO}/WHEEL", f"{INFO}/RECORD")),
       "no top-level .dist-info directory"),
    _C("wheel-two-dist-info", _wheel(extra_files={"other-1.0.dist-info/METADATA": b""}),
       "more than one top-level .dist-info"),
    _C("wheel-dist-info-differs", _wheel(dist_info="other-1.0.dist-info"),
       "does not match the file name"),
    _C("wheel-missing-metadata", _wheel(omit=(f"{INFO}/METADATA",)), f"'{INFO}/METADATA'"),
    _C("wheel-missing-wheel-file", _wheel(omit=(f"{INFO}/WHEEL",)), f"'{INFO}/WHEEL'"),
    _C("wheel-missing-record", _wheel(omit=(f"{INFO}/RECORD",)), f"'{INFO}/RECORD'"),
    _C("wheel-version-2", _wheel(wheel_file=b"Wheel-Version: 2.0\n"), "Wheel-Version 1.x"),
    _C("wheel-metadata-too-large", _wheel(description="x" * (1024 * 1024 + 1),
                                          description_content_type="text/plain"),
       "larger than 1048576 bytes"),
    _C("record-missing-file", _wheel(record=f"{INFO}/RECORD,,\n".encode()),
       "not listed in RECORD"),
    _C("record-extra-file", _wheel(record=record_for(
        {"demo/ghost.py": b"boo"}, f"{INFO}/RECORD")), "which is not in the archive"),
    _C("record-hash-differs", _raw(WHEEL_NAME, lambda: zip_bytes(
        {**wheel_members(), "demo/__init__.py": b"tampered = True\n"}.items())),
       "hash of 'demo/__init__.py' does not match RECORD"),
    _C("record-size-differs", _wheel(record=(
        f"demo/__init__.py,{record_digest(_INIT)},1\n{INFO}/RECORD,,\n").encode()),
       "The size of 'demo/__init__.py'"),
    _C("record-md5", _wheel(record=f"demo/__init__.py,md5=abc,3\n{INFO}/RECORD,,\n".encode()),
       "sha256 (or stronger)"),
    _C("record-short-line", _wheel(record=f"demo/__init__.py\n{INFO}/RECORD,,\n".encode()),
       "does not have 3 fields"),
    _C("record-duplicate-line", _wheel(record=f"{INFO}/RECORD,,\n{INFO}/RECORD,,\n".encode()),
       "more than once"),
]  # fmt: skip

TAR_CASES = [
    _C("sdist-not-gzip", _raw(SDIST_NAME, lambda: b"plain text, not gzip"),
       "not a valid gzip-compressed tar", filetype=_SDIST),
    _C("sdist-gzip-not-tar", _raw(SDIST_NAME, lambda: gzip_bytes(b"hello" * 200)),
       "not a valid gzip-compressed tar", filetype=_SDIST),
    _C("sdist-uncompressed-tar", _raw(SDIST_NAME, lambda: tar_bytes(sdist_members())),
       "not a valid gzip-compressed tar", filetype=_SDIST),
    _C("sdist-trailing-garbage", _raw(SDIST_NAME, lambda: tar_gz_bytes(
        sdist_members(), trailing=b"garbage after the gzip stream")),
       "not a valid gzip-compressed tar", filetype=_SDIST),
    _C("sdist-zip-polyglot", _raw(SDIST_NAME, lambda: tar_gz_bytes(
        sdist_members(), trailing=zip_bytes([("x", b"y")]))), "both a tar and a ZIP",
       filetype=_SDIST),
    _C("tar-absolute-path", _tar(TarMember("/etc/evil", b"x")), "absolute", filetype=_SDIST),
    _C("tar-dotdot-path", _tar(TarMember("demo-1.0/../evil", b"x")), "'..' path component",
       filetype=_SDIST),
    _C("tar-symlink-escapes", _tar(TarMember("demo-1.0/link", kind=tarfile.SYMTYPE,
                                             linkname="../../etc/passwd")),
       "points outside the top-level directory", filetype=_SDIST),
    _C("tar-hard-link", _tar(TarMember("demo-1.0/hard", kind=tarfile.LNKTYPE,
                                       linkname="demo-1.0/PKG-INFO")),
       "hard link", filetype=_SDIST),
    _C("tar-char-device", _tar(TarMember("demo-1.0/tty", kind=tarfile.CHRTYPE)),
       "device or FIFO", filetype=_SDIST),
    _C("tar-fifo", _tar(TarMember("demo-1.0/pipe", kind=tarfile.FIFOTYPE)), "device or FIFO",
       filetype=_SDIST),
    _C("tar-sparse", _tar(TarMember("demo-1.0/sparse", kind=tarfile.GNUTYPE_SPARSE),
                          fmt=tarfile.GNU_FORMAT), "sparse file", filetype=_SDIST),
    _C("tar-two-top-dirs", _tar(TarMember("other-1.0/README", b"x")),
       "exactly one top-level directory", filetype=_SDIST),
    _C("tar-top-level-file", _tar(TarMember("README", b"x")), "exactly one top-level directory",
       filetype=_SDIST),
    _C("tar-no-pkg-info", _sdist(omit_pkg_info=True), "does not contain 'demo-1.0/PKG-INFO'",
       filetype=_SDIST),
    _C("tar-bomb", _raw(SDIST_NAME, _tar_bomb), "decompression bomb", filetype=_SDIST),
]  # fmt: skip

METADATA_CASES = [
    _C("metadata-version-unknown", _wheel(metadata_version="9.9"), "not a valid metadata version"),
    _C("metadata-bad-requires-dist", _meta("Requires-Dist: ]["), "is invalid for 'requires-dist'"),
    _C("metadata-bad-requires-python", _wheel(requires_python=">>3"),
       "is invalid for 'requires-python'"),
    _C("metadata-local-version", _wheel(version="1.0+local"), "local versions",
       version="1.0+local"),
    _C("metadata-name-too-long", _wheel(name="n" * 201), "may have at most 200 characters",
       name="n" * 201),
    _C("metadata-version-too-long", _wheel(version="1." + "1." * 50 + "0"),
       "may have at most 100 characters", version="1." + "1." * 50 + "0"),
    _C("metadata-version-huge-number", _wheel(filename=WHEEL_NAME, version="1." + "0" * 5000),
       "could not be validated: Exceeds the limit"),
    _C("metadata-summary-too-long", _wheel(summary="s" * 513), "512 characters or fewer"),
    _C("metadata-unknown-classifier", _meta("Classifier: Made Up :: Nonsense"),
       "is not a valid classifier"),
    _C("metadata-deprecated-classifier", _meta("Classifier: Natural Language :: Ukranian"),
       "is deprecated"),
    _C("metadata-bad-author-email", _meta("Author-email: not-an-address"),
       "not a valid email address"),
    _C("metadata-bad-maintainer-email", _meta("Maintainer-email: Maintainer <m@@example.com>"),
       "not a valid email address"),
    _C("metadata-home-page-not-http", _meta("Home-page: ftp://example.com/demo"),
       "not a valid http or https URL"),
    _C("metadata-download-url-not-url", _meta("Download-URL: just words"),
       "not a valid http or https URL"),
    _C("metadata-project-url-label-long", _meta(f"Project-URL: {'L' * 33}, https://example.com"),
       "longer than 32 characters"),
    _C("metadata-project-url-bad", _meta("Project-URL: Docs, javascript:alert(1)"),
       "not a valid http or https URL"),
    _C("metadata-direct-url-dependency", _wheel(deps=("evil @ https://example.com/evil.whl",)),
       "direct URL references"),
    _C("metadata-license-and-expression", _meta("License: MIT", "License-Expression: MIT",
                                                metadata_version="2.4"),
       "cannot be used together with License-Expression"),
    _C("metadata-field-too-new", _meta("License-Expression: MIT"),
       "introduced in metadata version 2.4"),
    _C("metadata-bad-content-type", _wheel(description_content_type="text/html"),
       "must be one of"),
    _C("metadata-duplicate-name", _meta("Name: demo"), "appears more than once"),
    _C("metadata-description-not-utf8", _wheel(metadata=metadata_text(
        "demo", "1.0", description=None).encode() + b"\n\xff\xfe broken\n"),
       "not valid UTF-8"),
    _C("pkg-info-invalid-classifier", _sdist(extra_metadata_lines=("Classifier: Nope",)),
       "is not a valid classifier", filetype=_SDIST),
    _C("readme-rst-fails", _wheel(description=_BAD_RST), "could not be rendered"),
    _C("readme-sdist-rst-fails", _sdist(description=_BAD_RST), "could not be rendered",
       filetype=_SDIST),
]  # fmt: skip

CASES: list[MalformedCase] = [
    *FORM_CASES,
    *FILENAME_CASES,
    *ZIP_CASES,
    *WHEEL_CASES,
    *TAR_CASES,
    *METADATA_CASES,
]
