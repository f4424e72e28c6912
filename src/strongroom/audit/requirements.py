"""Requirements files in pip's syntax, read for auditing.

What pip accepts is accepted here: comments (``#`` at the start of a line or after
whitespace), lines continued with a trailing backslash, ``${VAR}`` environment variables,
nested ``-r``/``--requirement`` files and ``-c``/``--constraint`` files (relative to the file
naming them), per-requirement options (``--hash=...``, ``--config-settings``), global
options (``--index-url``, ``--extra-index-url``, ``--find-links``, ``--require-hashes`` ...),
extras and environment markers (evaluated for the Python running the audit).

A requirement is audited when it is pinned to one version, by itself (``==1.2``) or by a
constraint file that pins its name. Everything else is kept as ``Skipped`` with its reason:
editable installs, URLs and paths, ranges, markers false here, options not understood.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from strongroom.audit.dependencies import Dependency, Inputs, Skipped, Where, from_requirement
from strongroom.errors import InvalidInput

_COMMENT = re.compile(r"(^|\s+)#.*$")
_VARIABLE = re.compile(r"\$\{([A-Z0-9_]+)\}")
# Options that name another file to read, and the long forms of their short ones.
_FILE_OPTIONS = {"-r": "--requirement", "--requirement": "--requirement",
                 "-c": "--constraint", "--constraint": "--constraint"}
_EDITABLE = ("-e", "--editable")
# pip's global options, which steer where pip looks or what it accepts; none changes versions.
_GLOBAL_OPTIONS = frozenset({
    "-i", "--index-url", "--extra-index-url", "--no-index", "-f", "--find-links",
    "--trusted-host", "--pre", "--prefer-binary", "--only-binary", "--no-binary",
    "--require-hashes", "--use-feature", "--config-settings", "-C", "--global-option",
})
# Requirement lines that are archives or directories rather than a name and version.
_LOCATION = re.compile(r"^(\.{0,2}/|[A-Za-z]:[\\/]|~|[a-z+]+://)|\.(whl|zip|tar\.gz|tgz)$")


@dataclass(frozen=True)
class _Line:
    """One logical line of a file: its text without comments, where it starts, and whether
    the file is a constraint file."""

    text: str
    where: Where
    constraint: bool


def read_requirements(path: Path) -> Inputs:
    """The dependencies ``path`` (and the files it names) pins, and what it names that is
    not audited. Raises InvalidInput when a file cannot be read (naming it, and the line
    that named it)."""
    lines = list(_lines(path, str(path), constraint=False, reading=set()))
    inputs = Inputs()
    pins: dict[str, str] = {}
    for line in lines:
        if line.constraint and not line.text.startswith("-"):
            pinned = from_requirement(line.text, line.where)
            if isinstance(pinned, Dependency):
                pins.setdefault(pinned.key, pinned.version)
    for line in lines:
        if line.constraint:
            continue
        if line.text.startswith("-"):
            skipped = _option_skipped(line)
            if skipped is not None:
                inputs.skipped.append(skipped)
            continue
        requirement = _requirement_part(line.text)
        if _LOCATION.search(requirement):
            inputs.skipped.append(Skipped(requirement, "a path or URL, not a version on an "
                                          "index", line.where))
            continue
        found = from_requirement(requirement, line.where, pins=pins)
        if isinstance(found, Dependency):
            inputs.dependencies.append(found)
        else:
            inputs.skipped.append(found)
    return inputs


def _read(path: Path, shown: str, named_at: Where | None) -> str:
    """The text of ``path``; InvalidInput saying which file (and who named it) otherwise."""
    by = f" (named at {named_at})" if named_at is not None else ""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{shown}{by}: no such file") from None
    except UnicodeDecodeError as exc:
        raise InvalidInput(f"{shown}{by}: not UTF-8 text ({exc.reason} at byte "
                           f"{exc.start})") from None
    except OSError as exc:
        raise InvalidInput(f"{shown}{by}: cannot be read ({exc.strerror})") from None


def _logical_lines(text: str) -> Iterator[tuple[int, str]]:
    """(first line number, text) of each logical line: continuations joined, comments gone,
    ``${VAR}`` expanded, blank lines left out."""
    pending: list[str] = []
    start = 0
    for number, physical in enumerate(text.splitlines(), start=1):
        if not pending:
            start = number
        if physical.endswith("\\") and not _COMMENT.search(physical):
            pending.append(physical[:-1])
            continue
        pending.append(physical)
        joined = _COMMENT.sub("", "".join(pending)).strip()
        pending = []
        joined = _VARIABLE.sub(lambda m: os.environ.get(m.group(1), m.group(0)), joined)
        if joined:
            yield start, joined
    if pending:
        joined = _COMMENT.sub("", "".join(pending)).strip()
        if joined:
            yield start, joined


def _lines(path: Path, shown: str, *, constraint: bool, reading: set[Path],
           named_at: Where | None = None) -> Iterator[_Line]:
    """Every logical line of ``path`` and, in place of ``-r``/``-c``, of the files named."""
    text = _read(path, shown, named_at)
    resolved = path.resolve()
    reading = reading | {resolved}
    for number, line in _logical_lines(text):
        where = Where(shown, number)
        option, value = _file_option(line, where)
        if option is None:
            yield _Line(line, where, constraint)
            continue
        if "://" in value:
            yield _Line(f"{option} {value}", where, constraint)
            continue
        nested = Path(value) if Path(value).is_absolute() else path.parent / value
        if nested.resolve() in reading:
            raise InvalidInput(f"{where}: {option} {value} names a file already being read "
                               "(a loop)")
        shown_nested = value if Path(value).is_absolute() else str(Path(shown).parent / value)
        yield from _lines(nested, shown_nested, reading=reading, named_at=where,
                          constraint=constraint or option == "--constraint")


def _file_option(line: str, where: Where) -> tuple[str | None, str]:
    """(``--requirement`` or ``--constraint``, the file) when ``line`` is one; else None."""
    if not line.startswith("-"):
        return None, ""
    try:
        words = shlex.split(line)
    except ValueError as exc:
        raise InvalidInput(f"{where}: cannot split the options ({exc})") from None
    first = words[0]
    name, equals, attached = first.partition("=")
    if name in _FILE_OPTIONS and name.startswith("--"):
        value = attached if equals else (words[1] if len(words) > 1 else "")
    elif first[:2] in ("-r", "-c") and len(first) > 2:
        name, value = first[:2], first[2:]
    elif first in _FILE_OPTIONS:
        value = words[1] if len(words) > 1 else ""
    else:
        return None, ""
    if not value:
        raise InvalidInput(f"{where}: {first} needs a file name")
    return _FILE_OPTIONS[name], value


def _option_skipped(line: _Line) -> Skipped | None:
    """What a line of options is recorded as: None for pip's global options, which name no
    requirement (and are not echoed: an index URL may hold a password)."""
    name = line.text.split()[0].partition("=")[0]
    if name in _EDITABLE or (name.startswith("-e") and not name.startswith("--")):
        return Skipped(line.text, "an editable install (a path or VCS checkout), not a "
                       "version on an index", line.where)
    if name in _FILE_OPTIONS:  # a nested file at a URL
        return Skipped(name, "requirement files at a URL are not read", line.where)
    if name in _GLOBAL_OPTIONS:
        return None
    return Skipped(name, "an option this reader does not know; the line is not audited",
                   line.where)


def _requirement_part(line: str) -> str:
    """The requirement without its per-requirement options (``--hash=...``): as pip does,
    everything from the first word starting with ``-``."""
    words = line.split()
    kept = []
    for word in words:
        if word.startswith("-"):
            break
        kept.append(word)
    return " ".join(kept)
