"""Distribution file-name rules (PEP 427 wheels, PEP 625 sdists, PyPI's platform allowlist).

The rules are checked in two steps: :func:`parse_filename` looks at the name alone (characters,
extension, wheel/sdist syntax, platform tags) and :func:`check_against_metadata` compares what
the name says with the name and version found inside the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.utils import (
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from strongroom.domain import rules
from strongroom.domain.echo import brief, clipped
from strongroom.errors import Problem

MAX_FILENAME_LENGTH = 255  # what the files table holds
MAX_PYTHON_TAG_LENGTH = 100

SDIST = "sdist"
WHEEL = "bdist_wheel"
FILETYPES = (SDIST, WHEEL)

_EXTENSIONS = {SDIST: ".tar.gz", WHEEL: ".whl"}
# The sdist formats an index may hold (PEP 527 deprecated all but .tar.gz and .zip; PEP 625
# left .tar.gz), each readable by Python's own modules. ".tar.Z" (compress) is not.
SDIST_EXTENSIONS = (".tar.gz", ".zip", ".tar.bz2", ".tar.xz", ".tgz", ".tbz", ".tar")
_FORBIDDEN_CHARS = re.compile(r"[\x00-\x1f\x7f/\\]")

_MANYLINUX_ARCHES = "x86_64|i686|aarch64|armv7l|ppc64|ppc64le|s390x|riscv64"
_MUSLLINUX_ARCHES = "x86_64|i686|aarch64|armv7l|ppc64le|s390x|riscv64"
_MACOS_ARCHES = "x86_64|arm64|universal2|universal|intel|i386|ppc|ppc64|fat|fat3|fat32|fat64"
_ALLOWED_PLATFORM = re.compile(
    "|".join(
        (
            r"any|win32|win_amd64|win_arm64|win_ia64|linux_armv6l|linux_armv7l",
            r"manylinux1_(?:x86_64|i686)",
            r"manylinux2010_(?:x86_64|i686)",
            r"manylinux2014_(?:x86_64|i686|aarch64|armv7l|ppc64|ppc64le|s390x)",
            rf"manylinux_[0-9]+_[0-9]+_(?:{_MANYLINUX_ARCHES})",
            rf"musllinux_[0-9]+_[0-9]+_(?:{_MUSLLINUX_ARCHES})",
            rf"macosx_(?:10_[0-9]+|[1-9][0-9]_0)_(?:{_MACOS_ARCHES})",
            r"ios_[0-9]+_[0-9]+_(?:arm64|x86_64)_(?:iphoneos|iphonesimulator)",
            r"android_[0-9]+_(?:armeabi_v7a|arm64_v8a|x86|x86_64)",
            r"pyemscripten_[0-9]+_[0-9]+_wasm32",
        )
    ),
    re.ASCII,
)


@dataclass(frozen=True)
class ParsedFilename:
    """What a well-formed distribution file name says.

    ``name_part`` and ``version_part`` are the name's text exactly as written;
    ``python_version`` is the wheel's python tag as written, or ``"source"`` for an sdist.
    """

    packagetype: str
    name_part: str
    version_part: str
    python_version: str


def is_allowed_platform_tag(tag: str) -> bool:
    """Whether PyPI would accept a wheel built for platform ``tag`` (``linux_x86_64`` is not)."""
    return _ALLOWED_PLATFORM.fullmatch(tag) is not None


def archive_kind(filename: str, filetype: str) -> str | None:
    """The archive format to inspect: the filetype's, or a guess from the extension if unknown."""
    if filetype in FILETYPES:
        return filetype
    for kind, extension in _EXTENSIONS.items():
        if filename.endswith(extension):
            return kind
    return None


def parse_filename(filename: str, filetype: str) -> tuple[ParsedFilename | None, list[Problem]]:
    """Check ``filename`` for an upload of type ``filetype``.

    Returns the parsed name (None when it is unusable) and every problem found. A name that
    breaks only rules an import may tolerate (normalisation, a legacy sdist format, a platform
    tag PyPI refuses) is still parsed, so the caller's policy decides.
    """
    problems: list[Problem] = []
    if len(filename) > MAX_FILENAME_LENGTH:
        problems.append(Problem("filename", f"{brief(filename)}: a file name may have at most "
                                            f"{MAX_FILENAME_LENGTH} characters.", rules.FILENAME))
    if _FORBIDDEN_CHARS.search(filename):
        problems.append(
            Problem(
                "filename", "Cannot upload a file whose name has control characters, '/' or '\\'.",
                rules.FILENAME,
            )
        )
    if filetype not in FILETYPES:
        problems.append(
            Problem("filetype",
                    f"Invalid value for filetype: {brief(filetype)}; use sdist or bdist_wheel.",
                    rules.FILENAME)
        )
        return None, problems
    extension = sdist_extension(filename) if filetype == SDIST else _EXTENSIONS[filetype]
    if extension is None or not filename.endswith(extension):
        problems.append(Problem("filename", _extension_reason(filename, filetype), rules.FILENAME))
        return None, problems
    if problems:
        return None, problems
    if filetype == WHEEL:
        return _parse_wheel_name(filename)
    if extension != _EXTENSIONS[SDIST]:
        problems.append(Problem("filename", _legacy_sdist_reason(filename), rules.SDIST_FORMAT))
    parsed, name_problems = _parse_sdist_name(filename, extension)
    return parsed, problems + name_problems


def sdist_extension(filename: str) -> str | None:
    """The sdist extension ``filename`` ends with (.tar.gz, or a legacy one), or None."""
    return next((ext for ext in SDIST_EXTENSIONS if filename.endswith(ext)), None)


def _extension_reason(filename: str, filetype: str) -> str:
    return (
        f"Invalid file extension in {brief(filename)}: a {filetype} must end in "
        f"{_EXTENSIONS[filetype]} (PEP 527, PEP 625, PEP 715)."
    )


def _legacy_sdist_reason(filename: str) -> str:
    return (
        f"Invalid file extension in {brief(filename)}: source distributions must be .tar.gz "
        "files (PEP 625); .zip and other legacy formats are no longer accepted."
    )


def _parse_wheel_name(filename: str) -> tuple[ParsedFilename | None, list[Problem]]:
    try:
        _name, _version, _build, tags = parse_wheel_filename(filename)
    except ValueError as exc:  # a bad name or version, or a number too long for int()
        return None, [Problem("filename", f"Invalid wheel filename {brief(filename)}: "
                                          f"{clipped(str(exc))}", rules.FILENAME)]
    parts = filename[: -len(".whl")].split("-")
    name_part, version_part, python_tag = parts[0], parts[1], parts[-3]
    problems = _check_name_part(filename, name_part)
    problems += _check_version_part(filename, version_part)
    if len(python_tag) > MAX_PYTHON_TAG_LENGTH:
        problems.append(Problem("filename", f"The Python tag of {brief(filename)} may have at "
                                            f"most {MAX_PYTHON_TAG_LENGTH} characters.",
                                rules.FILENAME))
    bad = sorted({tag.platform for tag in tags if not is_allowed_platform_tag(tag.platform)})
    if bad:
        problems.append(
            Problem("filename", f"Binary wheel {brief(filename)} has an unsupported platform "
                                f"tag {brief(bad[0])}.", rules.PLATFORM_TAG)
        )
    return ParsedFilename(WHEEL, name_part, version_part, python_tag), problems


def _parse_sdist_name(filename: str, extension: str
                      ) -> tuple[ParsedFilename | None, list[Problem]]:
    stem = filename[: -len(extension)]
    try:
        # packaging knows .tar.gz and .zip; the stem's rules are the same for every format.
        parse_sdist_filename(stem + ".tar.gz")
    except ValueError as exc:  # a bad name or version, or a number too long for int()
        return None, [
            Problem("filename", f"Invalid source distribution filename {brief(filename)}: "
                    f"{clipped(str(exc))}", rules.FILENAME)
        ]
    name_part, _, version_part = stem.rpartition("-")
    problems = _check_name_part(filename, name_part)
    problems += _check_version_part(filename, version_part)
    return ParsedFilename(SDIST, name_part, version_part, "source"), problems


def _check_name_part(filename: str, name_part: str) -> list[Problem]:
    expected = escaped_name(name_part)
    if name_part != expected:
        return [
            Problem(
                "filename",
                f"The name in {brief(filename)} must be the normalized project name {expected!r} "
                "(PEP 427, PEP 625).",
                rules.FILENAME_NOT_NORMALIZED,
            )
        ]
    return []


def _check_version_part(filename: str, version_part: str) -> list[Problem]:
    expected = str(Version(version_part))
    if version_part != expected:
        return [
            Problem(
                "filename",
                f"The version in {brief(filename)} must be the normalized version {expected!r}.",
                rules.VERSION_NOT_NORMALIZED,
            )
        ]
    return []


def escaped_name(name: str) -> str:
    """A project name as file names spell it: normalised, with ``_`` for ``-``."""
    return canonicalize_name(name).replace("-", "_")


def check_against_metadata(parsed: ParsedFilename, name: str, version: Version) -> list[Problem]:
    """Problems where the file name names another project or version than the metadata's
    ``name`` and ``version`` (a spelling that only normalises differently was reported by
    :func:`parse_filename`)."""
    problems: list[Problem] = []
    if canonicalize_name(parsed.name_part) != canonicalize_name(name):
        problems.append(
            Problem(
                "filename",
                f"Start filename with {escaped_name(name)!r}: the name in the file name does not "
                f"match the project name {name!r} in the metadata.",
                rules.FILENAME_MISMATCH,
            )
        )
    if str(Version(parsed.version_part)) != str(version):
        problems.append(
            Problem(
                "filename",
                f"The version {parsed.version_part!r} in the file name does not match the "
                f"version {str(version)!r} in the metadata.",
                rules.FILENAME_MISMATCH,
            )
        )
    return problems
