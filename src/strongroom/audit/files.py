"""Project and lock files read for auditing: ``pyproject.toml``, ``pylock.toml`` (PEP 751)
and ``uv.lock``, and ``read_file``, which picks the reader by the file's name.

- ``pyproject.toml``: ``[project].dependencies``, every ``[project.optional-dependencies]``
  group and every ``[dependency-groups]`` group (PEP 735); each requirement is audited when
  pinned with ``==``, else skipped with its reason (markers are evaluated here).
- ``pylock.toml`` / ``pylock.NAME.toml``: each ``[[packages]]`` entry's name and version;
  one without a version (a VCS, directory or archive source) or whose ``marker`` is false
  here is skipped.
- ``uv.lock``: each ``[[package]]`` entry's name and version, except the editable and virtual
  ones (the project itself and its workspace members), which are skipped.

Line numbers come from the text (the line where the entry's name is), since tomllib gives
none. Raises InvalidInput for a file that cannot be read or is not valid TOML, naming it.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from packaging.markers import InvalidMarker, Marker

from strongroom.audit.dependencies import (
    Dependency,
    Inputs,
    Skipped,
    Where,
    from_requirement,
    marker_holds,
)
from strongroom.audit.requirements import read_requirements
from strongroom.errors import InvalidInput

_PYLOCK = re.compile(r"^pylock\.([^.]+\.)?toml$")


def read_file(path: Path) -> Inputs:
    """What ``path`` pins: by its name a pyproject.toml, pylock[.NAME].toml or uv.lock, and
    anything else a requirements file in pip's syntax."""
    name = path.name
    if name == "pyproject.toml":
        return read_pyproject(path)
    if _PYLOCK.match(name):
        return read_pylock(path)
    if name == "uv.lock":
        return read_uv_lock(path)
    return read_requirements(path)


def _load(path: Path) -> tuple[dict[str, Any], list[str]]:
    """The TOML document at ``path`` and its lines."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"{path}: cannot be read ({exc})") from None
    try:
        return tomllib.loads(text), text.splitlines()
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"{path}: not valid TOML ({exc})") from None


class _Lines:
    """Finds the line of each quoted string in order, so that entries get their own lines."""

    def __init__(self, path: Path, lines: list[str]) -> None:
        self._path = str(path)
        self._lines = lines
        self._at = 0

    def where(self, text: str) -> Where:
        """The first line at or after the last one found holding ``text`` as a TOML string;
        the file alone when none does."""
        return self._find(lambda line: f'"{text}"' in line or f"'{text}'" in line, again=True)

    def entry(self, name: str) -> Where:
        """The next line that is ``name = "NAME"`` (a lock file's entry, not a dependency
        naming it inline)."""
        pattern = re.compile(rf"""^\s*name\s*=\s*["']{re.escape(name)}["']\s*$""")
        return self._find(lambda line: pattern.match(line) is not None, again=False)

    def _find(self, test: Callable[[str], bool], *, again: bool) -> Where:
        """The next line passing ``test``; ``again``: the next search may find it again (a
        line listing several requirements)."""
        for number in range(self._at, len(self._lines)):
            if test(self._lines[number]):
                self._at = number if again else number + 1
                return Where(self._path, number + 1)
        return Where(self._path)


def _table(document: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    value = document.get(key, {})
    if not isinstance(value, dict):
        raise InvalidInput(f"{path}: [{key}] must be a table")
    return value


def _strings(value: Any, field: str, path: Path) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise InvalidInput(f"{path}: {field} must be a list of strings")
    return value


def read_pyproject(path: Path) -> Inputs:
    """The pinned requirements of ``path``'s project, its extras and dependency groups."""
    document, lines = _load(path)
    project = _table(document, "project", path)
    groups: list[tuple[str, list[str]]] = [
        ("project.dependencies", _strings(project.get("dependencies", []),
                                          "project.dependencies", path))]
    optional = project.get("optional-dependencies", {})
    if not isinstance(optional, dict):
        raise InvalidInput(f"{path}: project.optional-dependencies must be a table")
    for extra, requirements in optional.items():
        field = f"project.optional-dependencies.{extra}"
        groups.append((field, _strings(requirements, field, path)))
    for group, entries in _table(document, "dependency-groups", path).items():
        if not isinstance(entries, list):
            raise InvalidInput(f"{path}: dependency-groups.{group} must be a list")
        # {include-group = "..."} entries name another group, which is read on its own.
        groups.append((f"dependency-groups.{group}",
                       [entry for entry in entries if isinstance(entry, str)]))
    finder = _Lines(path, lines)
    inputs = Inputs()
    for _field, requirements in groups:
        for text in requirements:
            found = from_requirement(text, finder.where(text))
            if isinstance(found, Dependency):
                inputs.dependencies.append(found)
            else:
                inputs.skipped.append(found)
    return inputs


def _entries(document: dict[str, Any], key: str, path: Path) -> list[dict[str, Any]]:
    entries = document.get(key, [])
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        raise InvalidInput(f"{path}: [[{key}]] must be an array of tables")
    return entries


def _name_version(entry: dict[str, Any], key: str, index: int,
                  path: Path) -> tuple[str, str | None]:
    name, version = entry.get("name"), entry.get("version")
    if not isinstance(name, str) or not name:
        raise InvalidInput(f"{path}: {key}[{index}].name must be a non-empty string")
    if version is not None and not isinstance(version, str):
        raise InvalidInput(f"{path}: {key}[{index}].version must be a string")
    return name, version


def read_pylock(path: Path) -> Inputs:
    """The packages a PEP 751 lock file locks (lock-version 1.x)."""
    document, lines = _load(path)
    lock_version = document.get("lock-version")
    if not isinstance(lock_version, str) or lock_version.split(".")[0] != "1":
        raise InvalidInput(f"{path}: lock-version {lock_version!r} is not 1.x (PEP 751)")
    finder = _Lines(path, lines)
    inputs = Inputs()
    for index, entry in enumerate(_entries(document, "packages", path)):
        name, version = _name_version(entry, "packages", index, path)
        where = finder.entry(name)
        marker_text = entry.get("marker")
        try:
            marker = Marker(marker_text) if isinstance(marker_text, str) else None
        except InvalidMarker as exc:
            raise InvalidInput(f"{where}: packages[{index}].marker: {exc}") from None
        if not marker_holds(marker):
            inputs.skipped.append(Skipped(name, f"its marker ({marker}) is false for this "
                                          "Python", where))
        elif version is None:
            inputs.skipped.append(Skipped(name, "locked without a version (a VCS, directory "
                                          "or archive source)", where))
        else:
            inputs.dependencies.append(Dependency(name, version, where))
    return inputs


def read_uv_lock(path: Path) -> Inputs:
    """The packages uv locks, less the project itself and its workspace members."""
    document, lines = _load(path)
    finder = _Lines(path, lines)
    inputs = Inputs()
    for index, entry in enumerate(_entries(document, "package", path)):
        name, version = _name_version(entry, "package", index, path)
        where = finder.entry(name)
        source = entry.get("source", {})
        local = isinstance(source, dict) and ({"editable", "virtual"} & source.keys())
        if local:
            inputs.skipped.append(Skipped(name, "the project or a workspace member "
                                          f"({next(iter(local))}), not from an index", where))
        elif version is None:
            inputs.skipped.append(Skipped(name, "locked without a version", where))
        else:
            inputs.dependencies.append(Dependency(name, version, where))
    return inputs
