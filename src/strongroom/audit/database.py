"""An OSV database read offline: a zip of ``<ID>.json`` records, such as osv.dev's
``PyPI/all.zip``, for ``strongroom audit --db FILE``.

Each member is parsed with the domain's ``parse_record`` (the reader the index's import
uses); a record that cannot be used is refused, counted and named with its problems in
``refused``, and the rest are read. Members are read one at a time with a bound on each
(a zip's sizes are the archive's word; the bound holds whatever it says).
"""

from __future__ import annotations

import json
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from strongroom.audit.dependencies import Dependency
from strongroom.domain.advisories import Advisory
from strongroom.domain.osv import InvalidAdvisory, parse_record
from strongroom.errors import InvalidInput, Problem

RECORD_LIMIT = 16 * 1024 * 1024  # bytes of one record; the largest real ones are ~100 KB


class OfflineDatabase:
    """The advisories of an OSV zip, by normalised package name. Raises InvalidInput when
    ``path`` is not a readable zip; ``advance`` is told after each member is read."""

    def __init__(self, path: Path, *, advance: Callable[[int, int], None] | None = None
                 ) -> None:
        self.refused: list[InvalidAdvisory] = []
        self.records = 0
        self._by_name: dict[str, list[Advisory]] = defaultdict(list)
        try:
            with zipfile.ZipFile(path) as archive:
                members = [m for m in archive.infolist()
                           if not m.is_dir() and m.filename.endswith(".json")]
                for done, member in enumerate(members, start=1):
                    self._read(archive, member, f"{path}:{member.filename}")
                    if advance is not None:
                        advance(done, len(members))
        except FileNotFoundError:
            raise InvalidInput(f"--db {path}: no such file") from None
        except (zipfile.BadZipFile, OSError) as exc:
            raise InvalidInput(f"--db {path}: not a readable zip of OSV records "
                               f"({exc})") from None

    def _read(self, archive: zipfile.ZipFile, member: zipfile.ZipInfo, source: str) -> None:
        self.records += 1
        with archive.open(member) as stream:
            data = stream.read(RECORD_LIMIT + 1)
        if len(data) > RECORD_LIMIT:
            problem = Problem("", f"over {RECORD_LIMIT} bytes, more than any real record")
            self.refused.append(InvalidAdvisory([problem], source=source))
            return
        try:
            record = json.loads(data)
        except ValueError as exc:  # UnicodeDecodeError and JSONDecodeError are ValueErrors
            self.refused.append(InvalidAdvisory([Problem("", f"not JSON ({exc})")], source=source))
            return
        try:
            advisory, _warnings = parse_record(record, source=source)
        except InvalidAdvisory as refused:
            self.refused.append(refused)
            return
        for name in advisory.names:
            self._by_name[name].append(advisory)

    def proposed(self, dependencies: Sequence[Dependency]
                 ) -> dict[tuple[str, str], list[Advisory]]:
        """Every advisory of each dependency's package that affects its version."""
        return {(d.key, d.version): [a for a in self._by_name.get(d.key, [])
                                     if a.affects(d.key, d.version)]
                for d in dependencies}

    def every(self, names: Iterable[str]) -> dict[str, list[Advisory]]:
        """Every advisory of each normalised name."""
        return {name: list(self._by_name.get(name, [])) for name in names}
