"""Core-metadata validation: packaging's checks plus the rules PyPI adds on top.

Every problem is collected (packaging raises an ExceptionGroup; our own rules run regardless),
so one rejected upload tells the author everything that needs fixing.
"""

from __future__ import annotations

import email.utils
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import urlsplit

import trove_classifiers
from email_validator import EmailNotValidError, validate_email
from packaging.metadata import InvalidMetadata, Metadata, RawMetadata, parse_email
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import Version

from strongroom.domain import rules
from strongroom.domain.echo import brief
from strongroom.domain.names import is_valid_project_name
from strongroom.errors import Problem

ALLOWED_METADATA_VERSIONS = frozenset(
    {"1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5", "2.6"}
)
# Metadata-Version 2.0 (PEP 426, never accepted) was written by bdist_wheel for years; its
# fields are those of 2.1 without Description-Content-Type, so it is validated as 2.1.
_VALIDATED_AS = {"2.0": "2.1"}
_VERSION_ORDER = {v: i for i, v in enumerate(
    ("1.0", "1.1", "1.2", "2.1", "2.2", "2.3", "2.4", "2.5"))}
# The Metadata-Version that defined each field after 1.0 (the core metadata specification).
_INTRODUCED = {
    **dict.fromkeys(("supported_platforms", "classifiers", "download_url", "requires",
                     "provides", "obsoletes"), "1.1"),
    **dict.fromkeys(("maintainer", "maintainer_email", "requires_dist", "requires_python",
                     "requires_external", "project_urls", "provides_dist", "obsoletes_dist"),
                    "1.2"),
    **dict.fromkeys(("description_content_type", "provides_extra"), "2.1"),
    "dynamic": "2.2",
    **dict.fromkeys(("license_expression", "license_files"), "2.4"),
    **dict.fromkeys(("import_names", "import_namespaces"), "2.5"),
}
# setuptools wrote "UNKNOWN" for fields it had no value for; in these it is not a valid value.
_PLACEHOLDER_FIELDS = ("requires_python", "description_content_type")
_FOLD_INDENT = " " * 8
_PIPE_INDENT = " " * 7 + "|"
MAX_SUMMARY_LENGTH = 512
MAX_NAME_LENGTH = 200  # what the projects table holds
MAX_VERSION_LENGTH = 100  # what the releases table holds
MAX_URL_LABEL_LENGTH = 32

# How users spell each header; packaging reports fields in lower case.
_HEADERS = {
    header.lower(): header
    for header in (
        "Metadata-Version", "Name", "Version", "Dynamic", "Platform", "Supported-Platform",
        "Summary", "Description", "Description-Content-Type", "Keywords", "Home-page",
        "Download-URL", "Author", "Author-email", "Maintainer", "Maintainer-email", "License",
        "License-Expression", "License-File", "Classifier", "Requires-Dist", "Requires-Python",
        "Requires-External", "Project-URL", "Provides-Extra", "Provides-Dist", "Obsoletes-Dist",
        "Requires", "Provides", "Obsoletes", "Import-Name", "Import-Namespace",
    )
}  # fmt: skip


@dataclass(frozen=True)
class CheckedMetadata:
    """The outcome of validating one metadata file.

    ``name`` and ``version`` are set whenever those two fields are themselves valid, even if
    other fields are not, so callers can still compare them with the file name.
    """

    raw: RawMetadata
    name: str | None
    version: Version | None
    problems: list[Problem]


def header_name(field: str) -> str:
    """The header spelling users know for a packaging field name (``requires_dist`` ...)."""
    key = field.replace("_", "-").lower()
    # packaging names repeatable fields in the plural ("classifiers" for Classifier).
    return _HEADERS.get(key) or _HEADERS.get(key.removesuffix("s"), field)


def check_metadata(data: bytes, source: str) -> CheckedMetadata:
    """Parse and validate metadata ``data`` read from the file named ``source``.

    ``source`` ("METADATA" or "PKG-INFO") is the field of problems with the file as a whole.
    """
    try:
        raw, unparsed = parse_email(data)
    except ValueError as exc:
        return CheckedMetadata({}, None, None,
                               [Problem(source, f"cannot be parsed: {exc}", rules.METADATA)])
    if "description" in raw and _body_is_empty(data):
        raw["description"] = unfold_description(raw["description"])
    problems = [
        Problem(header_name(key), f"appears more than once or is not valid UTF-8 in {source}.",
                rules.METADATA)
        for key in sorted(unparsed)
        if key.lower() in _HEADERS
    ]
    problems += _placeholder_problems(raw)
    problems += _packaging_problems(raw, source)
    reported = {problem.field for problem in problems}
    # Both packaging and PyPI restrict Metadata-Version; say it once.
    problems += [
        p for p in _pypi_problems(raw) if p.field != "Metadata-Version" or p.field not in reported
    ]
    name = raw.get("name")
    valid_name = name if name is not None and is_valid_project_name(name) else None
    return CheckedMetadata(raw, valid_name, _version(raw.get("version")), problems)


def unfold_description(value: str) -> str:
    """A ``Description`` header's value as its author wrote it.

    Writers indent every line after the first so that the header stays one RFC 822 field:
    setuptools and distutils by 8 spaces, the core metadata specification by 7 spaces and a
    ``|``. Readers remove that indentation (as pkginfo, and so twine, do); left in, it turns a
    reStructuredText description into one that no longer renders. Lines indented less than 8
    are folded by some other tool: their common indentation is removed instead.
    """
    first, newline, rest = value.partition("\n")
    if not newline:
        return value.strip()
    lines = rest.split("\n")
    written = [line for line in lines if line.strip()]
    if written and all(line.startswith(_PIPE_INDENT) for line in written):
        width = len(_PIPE_INDENT)
    else:
        width = min((len(line) - len(line.lstrip()) for line in written), default=0)
        width = min(width, len(_FOLD_INDENT))
    unfolded = [line[width:] if line.strip() else "" for line in lines]
    return "\n".join([first.strip(), *unfolded]).rstrip() + ("\n" if value.endswith("\n")
                                                            else "")


def _placeholder_problems(raw: RawMetadata) -> list[Problem]:
    """Problems for setuptools' "UNKNOWN" in fields that must hold a valid value, which are
    dropped from ``raw``: a file kept despite them reads as if it had no such field."""
    problems: list[Problem] = []
    fields = cast(dict[str, Any], raw)
    for field in _PLACEHOLDER_FIELDS:
        if fields.get(field) == "UNKNOWN":
            del fields[field]
            problems.append(Problem(header_name(field), "'UNKNOWN' is setuptools' placeholder "
                                    "for a missing value, not a valid value.",
                                    rules.PLACEHOLDER))
    return problems


def _body_is_empty(data: bytes) -> bool:
    """Whether the metadata file has no body, so that a description is in its header."""
    for separator in (b"\r\n\r\n", b"\n\n"):
        _head, found, body = data.partition(separator)
        if found:
            return not body.strip()
    return True


def _version(text: str | None) -> Version | None:
    if text is None:
        return None
    try:
        return Version(text)
    except ValueError:  # InvalidVersion, or a number too long for int()
        return None


def _packaging_problems(raw: RawMetadata, source: str) -> list[Problem]:
    checked = cast(dict[str, Any], dict(raw))
    written = raw.get("metadata_version", "")
    problems: list[Problem] = []
    validated_as = _VALIDATED_AS.get(written, written)
    if validated_as in _VERSION_ORDER:
        if _VERSION_ORDER[validated_as] < _VERSION_ORDER["2.4"]:
            # setuptools wrote License-File long before Metadata-Version 2.4 defined it, and
            # PyPI accepts those files; the field is simply not validated for older versions.
            checked.pop("license_files", None)
        present = checked.keys() & _INTRODUCED.keys()
        for field in sorted(present):
            introduced = _INTRODUCED[field]
            if _VERSION_ORDER[introduced] > _VERSION_ORDER[validated_as]:
                # Written by build tools before the version that defines it (hatchling's
                # License-Expression under 2.1, setuptools' Classifier under 1.0): a rule of
                # its own, and the value is checked as the version that defines it checks it.
                rule = (rules.LICENSE_EXPRESSION_TOO_EARLY if field == "license_expression"
                        else rules.FIELD_TOO_EARLY)
                problems.append(Problem(header_name(field), f"introduced in metadata version "
                                        f"{introduced}, not {written}.", rule))
        newest = max((_INTRODUCED[field] for field in present),
                     key=_VERSION_ORDER.__getitem__, default=validated_as)
        checked["metadata_version"] = max(validated_as, newest, key=_VERSION_ORDER.__getitem__)
    return problems + _validate(cast(RawMetadata, checked), source)


def _validate(raw: RawMetadata, source: str) -> list[Problem]:
    """packaging's own validation of ``raw``, as problems."""
    try:
        Metadata.from_raw(raw, validate=True)
    except ExceptionGroup as group:
        return [_problem_from(exc, source) for exc in group.exceptions]
    except ValueError as exc:  # raised outside the group: a number too long for int()
        return [Problem(source, f"could not be validated: {exc}", rules.METADATA)]
    return []


def _problem_from(exc: Exception, source: str) -> Problem:
    if isinstance(exc, InvalidMetadata):
        return Problem(header_name(exc.field), str(exc), rules.METADATA)
    return Problem(source, str(exc), rules.METADATA)


def _pypi_problems(raw: RawMetadata) -> list[Problem]:
    problems: list[Problem] = []
    metadata_version = raw.get("metadata_version")
    if metadata_version is not None and metadata_version not in ALLOWED_METADATA_VERSIONS:
        problems.append(
            Problem("Metadata-Version", f"{metadata_version!r} is not a supported version.",
                    rules.METADATA_VERSION if metadata_version in _VALIDATED_AS
                    else rules.METADATA)
        )
    version = _version(raw.get("version"))
    # The normal form is what is stored, and it can be longer than what was written ("1a").
    normal = str(version) if version is not None else raw.get("version")
    for field, value, most in (("Name", raw.get("name"), MAX_NAME_LENGTH),
                               ("Version", normal, MAX_VERSION_LENGTH)):
        if value is not None and len(value) > most:
            problems.append(Problem(field, f"{brief(value)}: it may have at most {most} "
                                           "characters.", rules.METADATA))
    if version is not None and version.local is not None:
        problems.append(
            Problem("Version", f"{brief(raw.get('version', ''))}: local versions (+...) cannot "
                               "be uploaded.", rules.LOCAL_VERSION)
        )
    summary = raw.get("summary", "")
    if len(summary) > MAX_SUMMARY_LENGTH:
        problems.append(Problem("Summary", f"must be {MAX_SUMMARY_LENGTH} characters or fewer.",
                                rules.SUMMARY))
    if "license" in raw and "license_expression" in raw:
        problems.append(
            Problem("License", "cannot be used together with License-Expression; drop License.",
                    rules.METADATA)
        )
    problems += _classifier_problems(raw.get("classifiers", []))
    problems += _email_problems(raw)
    problems += _url_problems(raw)
    problems += _direct_reference_problems(raw.get("requires_dist", []))
    return problems


def _classifier_problems(classifiers: list[str]) -> list[Problem]:
    problems: list[Problem] = []
    for classifier in classifiers:
        if classifier in trove_classifiers.deprecated_classifiers:
            replacements = trove_classifiers.deprecated_classifiers[classifier]
            advice = f" Use {', '.join(map(repr, replacements))} instead." if replacements else ""
            problems.append(Problem("Classifier", f"{classifier!r} is deprecated.{advice}",
                                    rules.CLASSIFIER))
        elif classifier not in trove_classifiers.classifiers:
            problems.append(Problem("Classifier", f"{classifier!r} is not a valid classifier.",
                                    rules.CLASSIFIER))
    return problems


def _email_problems(raw: RawMetadata) -> list[Problem]:
    problems: list[Problem] = []
    for header, value in (
        ("Author-email", raw.get("author_email")),
        ("Maintainer-email", raw.get("maintainer_email")),
    ):
        if value is None:
            continue
        for _display, address in email.utils.getaddresses([value]):
            try:
                validate_email(address, check_deliverability=False)
            except EmailNotValidError as exc:
                problems.append(Problem(header, f"{address!r} is not a valid email address: {exc}",
                                        rules.EMAIL))
    return problems


def _url_problems(raw: RawMetadata) -> list[Problem]:
    problems: list[Problem] = []
    for header, url in (
        ("Home-page", raw.get("home_page")),
        ("Download-URL", raw.get("download_url")),
    ):
        if url is not None and not _is_web_url(url):
            problems.append(Problem(header, f"{url!r} is not a valid http or https URL.",
                                    rules.URL))
    for label, url in raw.get("project_urls", {}).items():
        if len(label) > MAX_URL_LABEL_LENGTH:
            problems.append(
                Problem(
                    "Project-URL",
                    f"label {label!r} is longer than {MAX_URL_LABEL_LENGTH} characters.",
                    rules.URL,
                )
            )
        if not _is_web_url(url):
            problems.append(
                Problem("Project-URL", f"{url!r} (for {label!r}) is not a valid http or https URL.",
                        rules.URL)
            )
    return problems


def _is_web_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in {"http", "https"} and bool(parts.netloc) and url.isprintable()


def _direct_reference_problems(requirements: list[str]) -> list[Problem]:
    problems: list[Problem] = []
    for text in requirements:
        try:
            requirement = Requirement(text)
        except InvalidRequirement:
            continue  # packaging's own validation already reported it
        if requirement.url is not None:
            problems.append(
                Problem(
                    "Requires-Dist",
                    f"{text!r}: direct URL references cannot be uploaded to an index.",
                    rules.DIRECT_REFERENCE,
                )
            )
    return problems
