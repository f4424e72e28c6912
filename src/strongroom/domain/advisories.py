"""Security advisories for PyPI packages, and which versions they affect (OSV semantics).

An ``Advisory`` is an OSV record reduced to what Strongroom matches and shows; ``osv.py`` makes
one from a record. Matching follows the OSV schema's evaluation of ``ECOSYSTEM`` ranges with
PEP 440 ordering (packaging's ``Version``: epochs, pre-, post-, dev-releases and local versions
order as PEP 440 says), plus the explicit ``versions`` list:

- within one range, events are taken in version order; ``introduced`` opens the range (``"0"``
  is before every version), ``fixed`` closes it at that version, ``last_affected`` just after
  it, and a version at or above any ``limit`` of the range is outside it;
- a version is affected when any range holds it or the ``versions`` list names it.

Ranges are compared with ``Version`` rather than expressed as a ``SpecifierSet``: PEP 440
specifiers leave out pre-releases (``<2.0`` excludes ``2.0rc1``, which comes before a fix in
2.0 and so is affected) and post-releases (``>1.0``), which an advisory must not.

A version that packaging cannot parse (a legacy version, which an index that imports history
holds) is affected only when the ``versions`` list names it exactly: no range can order it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from packaging.version import InvalidVersion, Version

INTRODUCED = "introduced"
FIXED = "fixed"
LAST_AFFECTED = "last_affected"
LIMIT = "limit"
EVENT_KINDS = (INTRODUCED, FIXED, LAST_AFFECTED, LIMIT)


def parse_version(text: str) -> Version | None:
    """``text`` as a PEP 440 version; None when it is not one."""
    try:
        return Version(text)
    except (InvalidVersion, ValueError):  # ValueError: a number too long for int()
        return None


@dataclass(frozen=True)
class Event:
    """One event of an ``ECOSYSTEM`` range: its kind (``EVENT_KINDS``) and its version as the
    record spells it; ``introduced`` ``"0"`` means from the first version."""

    kind: str
    version: str

    def key(self) -> tuple[int, Version]:
        """Where the event falls in version order (``"0"`` introduced first of all)."""
        if self.kind == INTRODUCED and self.version == "0":
            return (0, Version("0"))
        parsed = parse_version(self.version)
        if parsed is None:
            raise ValueError(f"{self.version!r} is not a PEP 440 version")
        return (1, parsed)


@dataclass(frozen=True)
class Range:
    """One ``ECOSYSTEM`` range; every event's version parses (``osv.py`` checks)."""

    events: tuple[Event, ...]

    def holds(self, version: Version) -> bool:
        """Whether ``version`` lies inside the range."""
        limits = [event.key()[1] for event in self.events if event.kind == LIMIT]
        if any(version >= limit for limit in limits):
            return False
        inside = False
        for event in sorted(self.events, key=Event.key):
            at = event.key()[1]
            if event.kind == INTRODUCED:
                inside = inside or event.version == "0" or version >= at
            elif ((event.kind == FIXED and version >= at)
                  or (event.kind == LAST_AFFECTED and version > at)):
                inside = False
        return inside


@dataclass(frozen=True)
class Affected:
    """What one advisory says of one package: ``name`` PEP 503 normalised, its ranges and its
    explicitly listed versions (as spelt in the record)."""

    name: str
    ranges: tuple[Range, ...] = ()
    versions: tuple[str, ...] = ()

    def affects(self, version: str) -> bool:
        """Whether ``version`` (as the index spells it) is affected."""
        parsed = parse_version(version)
        if version in self.versions:
            return True
        if parsed is None:
            return False
        if any(parse_version(listed) == parsed for listed in self.versions):
            return True
        return any(r.holds(parsed) for r in self.ranges)

    @property
    def fixed_in(self) -> tuple[str, ...]:
        """The ``fixed`` versions of every range, in PEP 440 order, each once."""
        fixed = {event.version: event.key() for r in self.ranges for event in r.events
                 if event.kind == FIXED}
        return tuple(sorted(fixed, key=fixed.__getitem__))

    def first_fix_after(self, version: str) -> str | None:
        """The lowest ``fixed`` version above ``version`` that this advisory does not affect:
        the smallest upgrade that clears it. None when there is none (a range closed only by
        ``last_affected``, or no fix yet) or ``version`` does not parse."""
        current = parse_version(version)
        if current is None:
            return None
        for candidate in self.fixed_in:
            parsed = parse_version(candidate)
            if parsed is not None and parsed > current and not self.affects(candidate):
                return candidate
        return None


@dataclass(frozen=True)
class Advisory:
    """An OSV record as Strongroom matches and lists it. ``affected`` holds its PyPI packages
    only (other ecosystems' entries, and its severity, stay in the stored record: the project
    page reads them there). ``link`` is where people read the advisory."""

    id: str
    modified: dt.datetime
    published: dt.datetime | None = None
    withdrawn: dt.datetime | None = None
    aliases: tuple[str, ...] = ()
    summary: str | None = None
    details: str | None = None
    affected: tuple[Affected, ...] = field(default=())
    link: str = ""

    @property
    def names(self) -> frozenset[str]:
        """The normalised names of the PyPI packages it concerns."""
        return frozenset(entry.name for entry in self.affected)

    def entries_for(self, name: str) -> tuple[Affected, ...]:
        """Its entries for the normalised package ``name``."""
        return tuple(entry for entry in self.affected if entry.name == name)

    def affects(self, name: str, version: str) -> bool:
        """Whether ``version`` of the normalised ``name`` is affected (never, once withdrawn)."""
        if self.withdrawn is not None:
            return False
        return any(entry.affects(version) for entry in self.entries_for(name))

    def fixed_in(self, name: str) -> tuple[str, ...]:
        """The versions that fix it for ``name``, in PEP 440 order."""
        fixed = {version: parse_version(version) for entry in self.entries_for(name)
                 for version in entry.fixed_in}
        return tuple(sorted(fixed, key=lambda v: fixed[v] or Version("0")))
