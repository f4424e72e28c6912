"""Rules shared by wheel and sdist inspection: member paths, expansion limits, problem wording."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field

from strongroom.config import Limits
from strongroom.domain import rules
from strongroom.errors import Problem

# Metadata files are small; a larger one is an attack, not a package.
MAX_METADATA_SIZE = 1024 * 1024
# RECORD grows with the member count (about 100 bytes a line).
MAX_RECORD_SIZE = 32 * 1024 * 1024
# A flood of identical faults says nothing new after the first few.
MAX_PROBLEMS_PER_CHECK = 20
ARCHIVES_HELP = "See https://docs.pypi.org/archives for more information."


@dataclass
class ArchiveContents:
    """What inspecting an archive found: its core-metadata bytes and every problem.

    ``metadata_bytes`` is None when the metadata file could not be found or read;
    ``metadata_field`` names that file for users ("METADATA" or "PKG-INFO").
    """

    metadata_field: str
    metadata_bytes: bytes | None = None
    problems: list[Problem] = field(default_factory=list)

    def reject(self, reason: str, field_name: str = "content", rule: str = rules.ARCHIVE
               ) -> None:
        """Record an archive problem breaking ``rule``, worded as PyPI words them for twine
        users."""
        self.problems.append(Problem(field_name, invalid(reason), rule))


def invalid(reason: str) -> str:
    """The PyPI-compatible wording of an archive problem."""
    return f"Invalid distribution file. {reason}"


def expansion_cap(compressed_size: int, limits: Limits) -> int:
    """The most uncompressed bytes an archive of ``compressed_size`` bytes may expand to.

    A high ratio alone is allowed up to ``ratio_threshold_size`` bytes; beyond it the ratio
    must stay under ``max_compression_ratio``; nothing may exceed ``max_uncompressed_size``.
    """
    by_ratio = max(limits.ratio_threshold_size, int(compressed_size * limits.max_compression_ratio))
    return min(limits.max_uncompressed_size, by_ratio)


def expansion_problem(uncompressed: int, compressed_size: int, limits: Limits) -> str | None:
    """Why ``uncompressed`` bytes from a ``compressed_size``-byte archive is too much, or None."""
    if uncompressed > limits.max_uncompressed_size:
        return (
            f"The archive expands to more than {limits.max_uncompressed_size} bytes "
            "(possible decompression bomb)."
        )
    if uncompressed > expansion_cap(compressed_size, limits):
        return (
            f"The archive's compression ratio exceeds {limits.max_compression_ratio:g} "
            "(possible decompression bomb)."
        )
    return None


def unsafe_path_reason(name: str) -> str | None:
    """Why member path ``name`` could escape the extraction directory, or None if it is safe."""
    if name.startswith("/") or "\\" in name or (len(name) > 1 and name[1] == ":"):
        return f"Member {name!r} has an absolute or non-POSIX path."
    if ".." in name.split("/"):
        return f"Member {name!r} has a '..' path component."
    if "\x00" in name:
        return f"Member {name!r} has a NUL character in its name."
    return None


def escapes(link_from: str, target: str, top: str) -> bool:
    """Whether a link at ``link_from`` pointing to ``target`` resolves outside directory ``top``."""
    if target.startswith("/") or "\\" in target:
        return True
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(link_from), target))
    return not (resolved == top or resolved.startswith(top + "/"))


def capped(problems: list[str]) -> list[str]:
    """``problems`` cut to ``MAX_PROBLEMS_PER_CHECK`` entries, with a count of the rest."""
    if len(problems) <= MAX_PROBLEMS_PER_CHECK:
        return problems
    rest = len(problems) - MAX_PROBLEMS_PER_CHECK
    return [*problems[:MAX_PROBLEMS_PER_CHECK], f"... and {rest} more like these."]
