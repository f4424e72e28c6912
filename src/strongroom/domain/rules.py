"""The two intake policies, and the names of the rules a distribution file can break.

Every problem found in a file names the rule it breaks (``Problem.rule``). A policy says which
rules only warn: the **upload** policy (``POST /legacy/``, the default everywhere) warns about
nothing, so every problem refuses the file, as PyPI's upload rules and Strongroom's stricter
checks ask. The **import** policy (``strongroom admin import``) is for files an index has
already published: the historical forms that pip and uv install without complaint are recorded
on the file as warnings instead. Nothing unsafe is ever tolerated: archive framing, bombs,
paths, links, digests, and a file name that names another project or version break rules that
no policy lists.
"""

from __future__ import annotations

from dataclasses import dataclass

from strongroom.errors import Problem

# Rules a historical file may break that an import tolerates.
FILENAME_NOT_NORMALIZED = "filename-not-normalized"  # MarkupSafe-2.1.5.tar.gz, zope.interface-...
VERSION_NOT_NORMALIZED = "version-not-normalized"  # 1.0.0-beta1 in the file name
SDIST_FORMAT = "sdist-format"  # .zip, .tar.bz2 ... (PEP 527, PEP 625)
SECOND_SDIST = "second-sdist"  # a release with a .zip and a .tar.gz sdist
METADATA_VERSION = "metadata-version"  # 2.0, which bdist_wheel wrote for years
LICENSE_EXPRESSION_TOO_EARLY = "license-expression-too-early"  # under Metadata-Version < 2.4
RECORD_MISMATCH = "record-mismatch"  # RECORD disagrees with the wheel's members
CLASSIFIER = "classifier"  # unknown or deprecated trove classifier
EMAIL = "email"  # Author-email: UNKNOWN
URL = "url"  # Home-page: UNKNOWN
DESCRIPTION = "description"  # a long description that does not render
SUMMARY = "summary"  # longer than PyPI allows
PLATFORM_TAG = "platform-tag"  # linux_x86_64: built locally, never allowed on PyPI
LOCAL_VERSION = "local-version"  # 2.5.1+cpu
HARD_LINK = "hard-link"  # an sdist member hard-linked to an earlier file of its own tree
FIELD_TOO_EARLY = "field-too-early"  # a field newer than the file's Metadata-Version
PLACEHOLDER = "placeholder"  # setuptools' "UNKNOWN" where a value must be valid

# Rules no policy tolerates.
FILENAME = "filename"  # unusable name: characters, extension, syntax, length
FILENAME_MISMATCH = "filename-mismatch"  # names another project or version than the metadata
ARCHIVE = "archive"  # framing, bombs, unsafe paths, links, devices, layout, unreadable
METADATA = "metadata"  # core metadata that is invalid or unusable
DIRECT_REFERENCE = "direct-reference"  # Requires-Dist with a URL
DIGEST = "digest"  # a digest the client sent does not match the bytes
FORM = "form"  # the upload form disagrees with the file


@dataclass(frozen=True)
class Policy:
    """A named set of rules that warn instead of refusing."""

    name: str
    tolerated: frozenset[str]

    def split(self, problems: list[Problem]) -> tuple[list[Problem], list[Problem]]:
        """``problems`` as (those that refuse the file, those that only warn), in order."""
        refusing = [p for p in problems if p.rule not in self.tolerated]
        warning = [p for p in problems if p.rule in self.tolerated]
        return refusing, warning


UPLOAD_POLICY = Policy("upload", frozenset())
IMPORT_POLICY = Policy("import", frozenset({
    FILENAME_NOT_NORMALIZED, VERSION_NOT_NORMALIZED, SDIST_FORMAT, SECOND_SDIST,
    METADATA_VERSION, LICENSE_EXPRESSION_TOO_EARLY, RECORD_MISMATCH, CLASSIFIER, EMAIL, URL,
    DESCRIPTION, SUMMARY, PLATFORM_TAG, LOCAL_VERSION, HARD_LINK, FIELD_TOO_EARLY, PLACEHOLDER,
}))
POLICIES = {policy.name: policy for policy in (UPLOAD_POLICY, IMPORT_POLICY)}
