"""Reading OSV records (schema 1.x) into ``Advisory`` objects, checking every field we use.

``parse_record`` takes a record already decoded from JSON or YAML and returns the advisory and
its warnings, or raises ``InvalidAdvisory`` with every problem found, each naming the field by
its path (``affected[0].ranges[1].events[2].fixed``). Warnings are what real databases carry
and Strongroom tolerates: a range whose event has a version PEP 440 cannot order is left out
(the record's ``versions`` list, which osv.dev enumerates from the range, still matches), and
``GIT`` / ``SEMVER`` ranges and other ecosystems' entries are not matched at all.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from typing import Any

from strongroom.domain.advisories import (
    EVENT_KINDS,
    INTRODUCED,
    Advisory,
    Affected,
    Event,
    Range,
    parse_version,
)
from strongroom.domain.names import normalize
from strongroom.errors import InvalidInput, Problem

ECOSYSTEM = "PyPI"
# Letters, digits and the punctuation real databases use (PYSEC-2021-1, GHSA-xxxx-xxxx-xxxx):
# an id becomes a URL path segment and a file name.
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}\Z")
# Prefixes of the public databases osv.dev serves, whose advisories it shows at a stable page.
_OSV_DEV_PREFIXES = ("PYSEC-", "GHSA-", "OSV-", "MAL-", "CVE-", "GSD-")


class InvalidAdvisory(InvalidInput):
    """An OSV record that cannot be used; ``problems`` lists every failure, ``source`` says
    where the record came from (a file, a member of a zip, a URL) and ``record_id`` its id
    when it had a readable one."""

    def __init__(self, problems: list[Problem], *, source: str = "",
                 record_id: str | None = None) -> None:
        where = f"{source}: " if source else ""
        super().__init__(where + "; ".join(str(p) for p in problems))
        self.problems = problems
        self.source = source
        self.record_id = record_id


def parse_timestamp(value: Any) -> dt.datetime | None:
    """An RFC 3339 timestamp with a time zone, as UTC; None when ``value`` is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return None if parsed.tzinfo is None else parsed.astimezone(dt.UTC)


class _Checker:
    """Collects problems and warnings while a record is read."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []
        self.warnings: list[Problem] = []

    def text(self, record: Mapping[str, Any], key: str, path: str, *,
             required: bool = False) -> str | None:
        value = record.get(key)
        if value is None and not required:
            return None
        if not isinstance(value, str) or (required and not value):
            self.problems.append(Problem(path, "must be a non-empty string" if required
                                         else "must be a string"))
            return None
        return value

    def texts(self, record: Mapping[str, Any], key: str, path: str) -> tuple[str, ...]:
        value = record.get(key)
        if value is None:
            return ()
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.problems.append(Problem(path, "must be a list of strings"))
            return ()
        return tuple(value)

    def timestamp(self, record: Mapping[str, Any], key: str, *,
                  required: bool = False) -> dt.datetime | None:
        value = record.get(key)
        if value is None and not required:
            return None
        parsed = parse_timestamp(value)
        if parsed is None:
            self.problems.append(Problem(key, f"{value!r} is not an RFC 3339 timestamp with a "
                                         "time zone (such as 2024-01-31T12:00:00Z)"))
        return parsed

    def objects(self, value: Any, path: str) -> list[Mapping[str, Any]]:
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.problems.append(Problem(path, "must be a list of objects"))
            return []
        return value

    def event(self, event: Mapping[str, Any], path: str) -> Event | None:
        if len(event) != 1 or next(iter(event)) not in EVENT_KINDS:
            self.problems.append(Problem(path, "must have exactly one of the keys "
                                         + ", ".join(EVENT_KINDS)))
            return None
        kind, version = next(iter(event.items()))
        if not isinstance(version, str) or not version:
            self.problems.append(Problem(f"{path}.{kind}", "must be a non-empty string"))
            return None
        return Event(kind, version)

    def ecosystem_range(self, events_value: Any, path: str) -> Range | None:
        events = [self.event(e, f"{path}.events[{i}]")
                  for i, e in enumerate(self.objects(events_value, f"{path}.events"))]
        if not events or None in events:
            if not events:
                self.problems.append(Problem(f"{path}.events", "must list at least one event"))
            return None
        kept = tuple(e for e in events if e is not None)
        if not any(e.kind == INTRODUCED for e in kept):
            self.problems.append(Problem(f"{path}.events", "must have an introduced event"))
            return None
        for i, e in enumerate(kept):
            if not (e.kind == INTRODUCED and e.version == "0") and parse_version(e.version) is None:
                self.warnings.append(Problem(
                    f"{path}.events[{i}].{e.kind}",
                    f"{e.version!r} is not a PEP 440 version; the range is left out and only "
                    "the listed versions match"))
                return None
        return Range(kept)

    def affected(self, entry: Mapping[str, Any], path: str) -> Affected | None:
        package = entry.get("package")
        if not isinstance(package, dict):
            self.problems.append(Problem(f"{path}.package", "must be an object"))
            return None
        ecosystem = self.text(package, "ecosystem", f"{path}.package.ecosystem", required=True)
        name = self.text(package, "name", f"{path}.package.name", required=True)
        versions = self.texts(entry, "versions", f"{path}.versions")
        ranges: list[Range] = []
        for i, rng in enumerate(self.objects(entry.get("ranges"), f"{path}.ranges")):
            kind = self.text(rng, "type", f"{path}.ranges[{i}].type", required=True)
            if kind == "ECOSYSTEM":
                found = self.ecosystem_range(rng.get("events"), f"{path}.ranges[{i}]")
                if found is not None:
                    ranges.append(found)
        if ecosystem != ECOSYSTEM or name is None:
            return None
        return Affected(normalize(name), tuple(ranges), versions)


def advisory_link(record_id: str, references: list[Mapping[str, Any]]) -> str:
    """Where people read an advisory: its osv.dev page for the public databases' ids, else the
    record's first ADVISORY reference, else its first reference, else ""."""
    if record_id.startswith(_OSV_DEV_PREFIXES):
        return f"https://osv.dev/vulnerability/{record_id}"
    urls = [(ref.get("type") != "ADVISORY", ref.get("url")) for ref in references
            if isinstance(ref.get("url"), str)]
    return str(min(urls, key=lambda pair: pair[0])[1]) if urls else ""


def parse_record(record: Any, *, source: str = "") -> tuple[Advisory, list[Problem]]:
    """``record`` (decoded JSON) as an Advisory, with the warnings it raised.

    Raises InvalidAdvisory naming every field that is missing, of the wrong type or
    malformed: ``id`` and ``modified`` are required, ``schema_version`` (when given) must be
    1.x, each ``affected`` entry needs a package with an ecosystem and a name, and each
    ``ECOSYSTEM`` range an ``introduced`` event.
    """
    checker = _Checker()
    if not isinstance(record, dict):
        raise InvalidAdvisory([Problem("", "an OSV record must be a JSON object")], source=source)
    record_id = checker.text(record, "id", "id", required=True)
    if record_id is not None and not _ID.match(record_id):
        checker.problems.append(Problem("id", f"{record_id!r} is not a usable advisory id "
                                        "(letters, digits and .:_- only, at most 100)"))
    schema = checker.text(record, "schema_version", "schema_version")
    if schema is not None and schema.split(".")[0] != "1":
        checker.problems.append(Problem("schema_version", f"{schema!r} is not 1.x"))
    modified = checker.timestamp(record, "modified", required=True)
    published = checker.timestamp(record, "published")
    withdrawn = checker.timestamp(record, "withdrawn")
    aliases = checker.texts(record, "aliases", "aliases")
    summary = checker.text(record, "summary", "summary")
    details = checker.text(record, "details", "details")
    checker.objects(record.get("severity"), "severity")
    references = checker.objects(record.get("references"), "references")
    affected = [checker.affected(entry, f"affected[{i}]")
                for i, entry in enumerate(checker.objects(record.get("affected"), "affected"))]
    if checker.problems or record_id is None or modified is None:
        raise InvalidAdvisory(checker.problems, source=source, record_id=record_id)
    advisory = Advisory(
        id=record_id, modified=modified, published=published, withdrawn=withdrawn,
        aliases=aliases, summary=summary, details=details,
        affected=tuple(entry for entry in affected if entry is not None),
        link=advisory_link(record_id, references),
    )
    return advisory, checker.warnings
