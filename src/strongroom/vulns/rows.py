"""The compact JSON of ``vulnerability_packages.affected``: one package's part of a record.

``{"ranges": [[["introduced", "0"], ["fixed", "1.2"]], ...], "versions": ["1.0", ...]}``:
each range a list of its events as ``[kind, version]`` pairs in the record's order, the
listed versions as the record spells them. Only the ``ECOSYSTEM`` ranges ``domain/osv.py``
kept are stored, so a row reads back into an ``Affected`` without re-checking the record.
Several entries of one record for the same package are merged into one row (their ranges
and versions together), which matches exactly what the entries matched one by one.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from strongroom.domain.advisories import EVENT_KINDS, Affected, Event, Range
from strongroom.errors import StrongroomError

_KINDS = frozenset(EVENT_KINDS)


class CorruptRow(StrongroomError):
    """A stored ``affected`` value that is not what ``affected_row`` writes: the database was
    changed by hand or by another program."""


def affected_row(entry: Affected) -> str:
    """``entry`` as the compact JSON stored in ``vulnerability_packages.affected``."""
    return json.dumps(
        {"ranges": [[[event.kind, event.version] for event in rng.events]
                    for rng in entry.ranges],
         "versions": list(entry.versions)},
        separators=(",", ":"), ensure_ascii=False)


def merged(entries: Iterable[Affected]) -> Affected:
    """Several entries for one package (a record may list a package twice) as one, matching
    what any of them matches. Raises ValueError when there is no entry or names differ."""
    items = list(entries)
    names = {entry.name for entry in items}
    if len(names) != 1:
        raise ValueError(f"entries of one package expected, got {sorted(names)}")
    versions = tuple(dict.fromkeys(v for entry in items for v in entry.versions))
    return Affected(items[0].name, tuple(r for entry in items for r in entry.ranges), versions)


def affected_from_row(name: str, text: str) -> Affected:
    """The ``Affected`` of package ``name`` (normalised) stored as ``text`` by
    ``affected_row``. Raises CorruptRow naming the package when ``text`` is not that shape."""
    try:
        value: Any = json.loads(text)
        ranges = tuple(Range(tuple(_event(pair) for pair in rng)) for rng in value["ranges"])
        versions = _texts(value["versions"])
    except (ValueError, TypeError, KeyError) as exc:
        raise CorruptRow(f"the stored advisory data of package {name!r} is unreadable "
                         f"({exc}): {text[:200]!r}") from exc
    return Affected(name, ranges, tuple(versions))


def _event(pair: Any) -> Event:
    if (not isinstance(pair, list) or len(pair) != 2 or pair[0] not in _KINDS
            or not isinstance(pair[1], str)):
        raise ValueError(f"{pair!r} is not a [kind, version] event")
    return Event(pair[0], pair[1])


def _texts(value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("versions must be a list of strings")
    return value
