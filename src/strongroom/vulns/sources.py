"""Where OSV records come from: a zip of ``<ID>.json`` (osv.dev's ``PyPI/all.zip``), a
directory of ``.json`` / ``.yaml`` / ``.yml`` files, one such file, or an http(s) URL of a zip.

``open_source`` names what it found and how many records it holds (for a progress bar);
iterating it reads each record into an advisory or a refusal naming the file (or zip member)
and the field. Every read is bounded: a record above ``MAX_RECORD_BYTES``, an archive above
the caller's byte bound, are refused rather than read into memory.
"""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import yaml

from strongroom.domain.advisories import Advisory
from strongroom.domain.osv import InvalidAdvisory, parse_record
from strongroom.errors import InvalidInput
from strongroom.vulns.report import Note

MAX_RECORD_BYTES = 1 << 20  # the largest record of PyPI's database is about 25 KB
SUFFIXES = (".json", ".yaml", ".yml")


@dataclass(frozen=True)
class Reading:
    """One record read: the advisory and the JSON text to store (the file's own text for
    JSON, the record re-encoded for YAML), or why it was refused; and its warnings."""

    source: str
    advisory: Advisory | None = None
    text: str = ""
    warnings: list[Note] = field(default_factory=list)
    refusal: Note | None = None


def read_record(data: bytes, source: str) -> Reading:
    """``data`` (one record's bytes; YAML when ``source`` ends in .yaml / .yml) read."""
    if len(data) > MAX_RECORD_BYTES:
        return _refused(source, f"larger than {MAX_RECORD_BYTES} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return _refused(source, f"not UTF-8 text ({exc.reason} at byte {exc.start})")
    try:
        if source.endswith((".yaml", ".yml")):
            # YAML reads unquoted timestamps as datetimes: written back as RFC 3339 text, so
            # the record stored (and served as JSON) says what the file said.
            text = json.dumps(yaml.safe_load(text), ensure_ascii=False, default=_scalar)
            record = json.loads(text)
        else:
            record = json.loads(text)
    except (ValueError, yaml.YAMLError) as exc:
        kind = "YAML" if source.endswith((".yaml", ".yml")) else "JSON"
        return _refused(source, f"not valid {kind}: {_oneline(exc)}")
    return read_decoded(record, text, source)


def read_decoded(record: Any, text: str, source: str) -> Reading:
    """A record already decoded (``record``, with ``text`` its JSON to store) read."""
    try:
        advisory, warnings = parse_record(record, source=source)
    except InvalidAdvisory as exc:
        return Reading(source, refusal=Note(source, exc.record_id,
                                            "; ".join(str(p) for p in exc.problems)))
    notes = [Note(source, advisory.id, str(problem)) for problem in warnings]
    return Reading(source, advisory, text, notes)


def _scalar(value: object) -> str:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def _refused(source: str, message: str) -> Reading:
    return Reading(source, refusal=Note(source, None, message))


def _oneline(exc: Exception) -> str:
    return " ".join(str(exc).split())


class Source(ABC):
    """Records to import from one place: ``name`` (for the summary and the records' ``source``
    column), ``total`` (records it holds), iterate for ``Reading``s in name order."""

    def __init__(self, name: str, total: int) -> None:
        self.name = name
        self.total = total

    @abstractmethod
    def __iter__(self) -> Iterator[Reading]:
        """Each record of the source, read (or refused), in name order."""


class ZipSource(Source):
    """The ``.json`` (and YAML) members of a zip archive; other members are skipped."""

    def __init__(self, name: str, file: IO[bytes] | Path) -> None:
        try:
            self._zip = zipfile.ZipFile(file)
        except (zipfile.BadZipFile, OSError) as exc:
            raise InvalidInput(f"{name}: not a readable zip archive ({exc})") from exc
        self._members = sorted((i for i in self._zip.infolist()
                                if not i.is_dir() and i.filename.endswith(SUFFIXES)),
                               key=lambda i: i.filename)
        super().__init__(name, len(self._members))

    def __iter__(self) -> Iterator[Reading]:
        for info in self._members:
            where = f"{self.name}:{info.filename}"
            if info.file_size > MAX_RECORD_BYTES:
                yield _refused(where, f"larger than {MAX_RECORD_BYTES} bytes")
                continue
            try:
                with self._zip.open(info) as member:
                    data = member.read(MAX_RECORD_BYTES + 1)  # the header may lie: bound the read
            except (zipfile.BadZipFile, OSError, ValueError) as exc:
                yield _refused(where, f"unreadable in the archive ({_oneline(exc)})")
                continue
            yield read_record(data, where)

    def close(self) -> None:
        """Close the archive."""
        self._zip.close()


class FilesSource(Source):
    """Record files: every ``.json`` / ``.yaml`` / ``.yml`` below a directory, or one file."""

    def __init__(self, name: str, files: list[Path]) -> None:
        self._files = files
        super().__init__(name, len(files))

    def __iter__(self) -> Iterator[Reading]:
        for path in self._files:
            try:
                with path.open("rb") as file:
                    data = file.read(MAX_RECORD_BYTES + 1)
            except OSError as exc:
                yield _refused(str(path), f"unreadable ({exc.strerror})")
                continue
            yield read_record(data, str(path))


def open_path(path: Path) -> Source:
    """The records at ``path``: a zip, a directory or one record file. Raises InvalidInput
    naming the path when it is none of these (or missing)."""
    if path.is_dir():
        files = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix in SUFFIXES)
        return FilesSource(str(path), files)
    if not path.is_file():
        raise InvalidInput(f"{path}: no such file or directory")
    if zipfile.is_zipfile(path):
        return ZipSource(str(path), path)
    if path.suffix in SUFFIXES:
        return FilesSource(str(path), [path])
    raise InvalidInput(f"{path}: not a zip archive, a directory, or a .json / .yaml / .yml "
                       "record")

