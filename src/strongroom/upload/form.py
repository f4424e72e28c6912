"""The legacy upload form (``POST /legacy/``, as twine sends it), checked field by field."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from packaging.version import Version

from strongroom.domain.echo import brief
from strongroom.domain.metadata import MAX_NAME_LENGTH, MAX_VERSION_LENGTH
from strongroom.domain.names import is_valid_project_name
from strongroom.errors import Problem

FILETYPES = ("sdist", "bdist_wheel")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")
# MD5 arrives as hex from older twine versions and as unpadded urlsafe base64 from others.
_MD5 = re.compile(r"^([0-9a-fA-F]{32}|[A-Za-z0-9_-]{22})$")


@dataclass(frozen=True)
class UploadForm:
    """The fields of one upload that Strongroom acts on; the rest are read from the file."""

    name: str
    version: str
    filetype: str
    pyversion: str
    sha256_digest: str | None
    blake2_256_digest: str | None
    md5_digest: str | None
    metadata_version: str | None
    summary: str | None
    requires_python: str | None
    comment: str | None
    # The PEP 740 attestations, a JSON array as sent (None: the field is absent); the
    # attestations package reads it.
    attestations: str | None = None


def _one(fields: Mapping[str, Sequence[str]], key: str) -> str | None:
    values = fields.get(key) or []
    value = values[0].strip() if values else ""
    # distutils wrote "UNKNOWN" for absent values; PyPI treats it as absent too.
    return None if value in ("", "UNKNOWN") else value


def parse_form(fields: Mapping[str, Sequence[str]]) -> tuple[UploadForm | None, list[Problem]]:
    """Check the non-file fields. Returns the form (None when unusable) and every problem found."""
    action = _one(fields, ":action")
    if action != "file_upload":
        return None, [Problem(":action", f"Unknown action {action!r}: only 'file_upload'")]
    problems: list[Problem] = []
    if _one(fields, "protocol_version") not in (None, "1"):
        problems.append(Problem("protocol_version", "Unknown protocol version."))
    name, version = _one(fields, "name") or "", _one(fields, "version") or ""
    problems += _identity_problems(name, version)
    filetype = _one(fields, "filetype") or ""
    pyversion = _one(fields, "pyversion") or ("source" if filetype == "sdist" else "")
    problems += _filetype_problems(filetype, pyversion)
    sha256 = (_one(fields, "sha256_digest") or "").lower() or None
    blake2 = (_one(fields, "blake2_256_digest") or "").lower() or None
    md5 = _one(fields, "md5_digest")
    problems += _digest_problems(sha256, blake2, md5)
    if problems:
        return None, problems
    return (
        UploadForm(
            name=name,
            version=version,
            filetype=filetype,
            pyversion=pyversion,
            sha256_digest=sha256,
            blake2_256_digest=blake2,
            md5_digest=md5,
            metadata_version=_one(fields, "metadata_version"),
            summary=_one(fields, "summary"),
            requires_python=_one(fields, "requires_python"),
            comment=_one(fields, "comment"),
            attestations=next(iter(fields.get("attestations") or []), None),
        ),
        [],
    )


def _identity_problems(name: str, version: str) -> list[Problem]:
    problems = []
    if not name:
        problems.append(Problem("name", "This field is required."))
    elif len(name) > MAX_NAME_LENGTH:
        problems.append(Problem("name", f"{brief(name)} is an invalid value for Name: it may "
                                        f"have at most {MAX_NAME_LENGTH} characters."))
    elif not is_valid_project_name(name):
        problems.append(Problem("name", f"{brief(name)} is an invalid value for Name."))
    if not version:
        problems.append(Problem("version", "This field is required."))
    elif len(version) > MAX_VERSION_LENGTH:
        problems.append(Problem("version", f"{brief(version)} is an invalid value for Version: "
                                           f"it may have at most {MAX_VERSION_LENGTH} characters."))
    else:
        try:
            Version(version)
        except ValueError:  # InvalidVersion, or a number too long for int()
            problems.append(
                Problem("version", f"{brief(version)} is an invalid value for Version."))
    return problems


def _filetype_problems(filetype: str, pyversion: str) -> list[Problem]:
    if filetype not in FILETYPES:
        return [Problem("filetype",
                        f"Invalid value for filetype: {filetype!r} (sdist or bdist_wheel)")]
    if filetype == "bdist_wheel" and not pyversion:
        return [Problem("pyversion", "Python version is required for binary uploads.")]
    if filetype == "sdist" and pyversion != "source":
        return [Problem("pyversion", "Use 'source' as Python version for an sdist.")]
    return []


def _digest_problems(sha256: str | None, blake2: str | None, md5: str | None) -> list[Problem]:
    if not (sha256 or blake2 or md5):
        return [Problem("digest", "Include at least one message digest.")]
    problems = []
    if sha256 and not _HEX64.match(sha256):
        problems.append(Problem("sha256_digest", "Must be a valid, hex encoded, SHA256 digest."))
    if blake2 and not _HEX64.match(blake2):
        problems.append(
            Problem("blake2_256_digest", "Must be a valid, hex encoded, blake2 message digest.")
        )
    if md5 and not _MD5.match(md5):
        problems.append(Problem("md5_digest", "Must be a valid MD5 digest (hex or base64)."))
    return problems
