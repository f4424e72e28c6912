"""Inspecting one uploaded distribution file: the entry point of the upload's validate step.

Steps, each reporting problems rather than stopping: the file name, the archive, the core
metadata inside it, the name/version agreement between the two, and the long description.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from packaging.metadata import RawMetadata
from packaging.utils import canonicalize_name
from packaging.version import Version

from strongroom.config import Limits
from strongroom.domain import rules
from strongroom.domain.archive_rules import ArchiveContents
from strongroom.domain.filenames import (
    SDIST,
    WHEEL,
    ParsedFilename,
    archive_kind,
    check_against_metadata,
    parse_filename,
    sdist_extension,
)
from strongroom.domain.metadata import CheckedMetadata, check_metadata
from strongroom.domain.readme import DescriptionRenderer
from strongroom.domain.rules import UPLOAD_POLICY, Policy
from strongroom.domain.sdists import read_sdist
from strongroom.domain.wheels import read_wheel
from strongroom.errors import Problem, UploadRejected


@dataclass(frozen=True)
class Distribution:
    """A distribution file that passed every check, and what it says about its release."""

    filename: str
    packagetype: str  # "sdist" | "bdist_wheel"
    python_version: str  # wheel python tag as in the name ("py3", "py2.py3"), or "source"
    name: str  # normalised project name (from the metadata)
    display_name: str  # the Name field exactly as written in the metadata
    version: Version
    metadata: RawMetadata  # as parsed from the archive
    metadata_bytes: bytes  # METADATA / PKG-INFO bytes exactly as in the archive
    metadata_file: bytes | None  # the PEP 658 .metadata file (wheels only)
    requires_python: str | None
    description_html: str | None
    warnings: tuple[Problem, ...] = ()  # the rules it breaks that its policy tolerates


def inspect_distribution(
    content: BinaryIO, *, filename: str, filetype: str, limits: Limits,
    render: DescriptionRenderer, policy: Policy = UPLOAD_POLICY,
) -> Distribution:
    """Validate the uploaded file in the seekable ``content``, named ``filename``, of type
    ``filetype``, rendering its long description with ``render``; the problems that ``policy``
    tolerates become the distribution's ``warnings``.

    Raises UploadRejected listing every other problem found (file name, archive, metadata,
    description), in that order. Raises nothing else, whatever the file's bytes: a failure of a
    third-party reader (zipfile, tarfile, zlib, the email parser) on them is a problem too.
    """
    parsed, problems = parse_filename(filename, filetype)
    kind = archive_kind(filename, filetype)
    extension = sdist_extension(filename) if kind == SDIST else ".whl"
    if kind is None or extension is None:
        raise UploadRejected(problems)
    contents = _read_archive(content, kind, extension, limits, parsed)
    problems += contents.problems
    if contents.metadata_bytes is None:
        raise UploadRejected(problems)
    checked = _check_metadata(contents.metadata_bytes, contents.metadata_field)
    problems += checked.problems
    if parsed is not None and checked.name is not None and checked.version is not None:
        problems += check_against_metadata(parsed, checked.name, checked.version)
    raw = checked.raw
    rendered = render(raw.get("description"), raw.get("description_content_type"))
    if rendered.problem is not None:
        problems.append(rendered.problem)
    refusing, warnings = policy.split(problems)
    if refusing or parsed is None or checked.name is None or checked.version is None:
        raise UploadRejected(refusing or [Problem("filename", "The file name is not usable.",
                                                  rules.FILENAME)])
    return Distribution(
        filename=filename,
        packagetype=parsed.packagetype,
        python_version=parsed.python_version,
        name=canonicalize_name(checked.name),
        display_name=checked.name,
        version=checked.version,
        metadata=raw,
        metadata_bytes=contents.metadata_bytes,
        metadata_file=contents.metadata_bytes if kind == WHEEL else None,
        requires_python=raw.get("requires_python"),
        description_html=rendered.html,
        warnings=tuple(warnings),
    )


def _read_archive(
    content: BinaryIO, kind: str, extension: str, limits: Limits, parsed: ParsedFilename | None
) -> ArchiveContents:
    try:
        if kind == WHEEL:
            return read_wheel(content, limits, parsed)
        return read_sdist(content, limits, extension)
    except OSError as exc:
        why = exc.strerror or str(exc)
    except Exception as exc:  # a reader's failure on hostile bytes is the file's problem
        why = f"its reader failed with {type(exc).__name__}"
    contents = ArchiveContents("METADATA" if kind == WHEEL else "PKG-INFO")
    contents.reject(f"The uploaded file could not be read: {why}.")
    return contents


def _check_metadata(data: bytes, source: str) -> CheckedMetadata:
    try:
        return check_metadata(data, source)
    except Exception as exc:  # the email parser's or packaging's failure on hostile bytes
        problem = Problem(source, f"cannot be parsed: its parser failed with "
                                  f"{type(exc).__name__}.", rules.METADATA)
        return CheckedMetadata({}, None, None, [problem])


__all__ = ["Distribution", "inspect_distribution"]
