"""What a new copy of a record changes on the index: the releases whose vulnerability lists
differ between the old and the new copy.

A release shows an advisory (JSON API, project page) when the advisory affects it, and then
shows its id, aliases, summary, details, fixed versions, link and withdrawal. Two copies
change a release when what it shows differs: it starts or stops being affected, or a shown
field changed. A record's new ``modified`` alone, or a change to another package's part,
changes nothing there, so no journal entry and no purge follow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from strongroom.domain.advisories import Advisory

Shown = tuple[str, tuple[str, ...], str | None, str | None, tuple[str, ...], str,
              dt.datetime | None]

ADDED = "added"
CHANGED = "changed"
WITHDRAWN = "withdrawn"


def shown(advisory: Advisory | None, name: str, version: str) -> Shown | None:
    """What release ``version`` of the normalised ``name`` shows of ``advisory``; None when
    it is not affected (or there is no advisory)."""
    if advisory is None or not advisory.affects(name, version):
        return None
    return (advisory.id, advisory.aliases, advisory.summary, advisory.details,
            advisory.fixed_in(name), advisory.link, advisory.withdrawn)


def touched(old: Advisory | None, new: Advisory, name: str,
            versions: Iterable[str]) -> frozenset[str]:
    """The ``versions`` (as the index spells them) of project ``name`` whose vulnerability
    list differs between ``old`` and ``new``."""
    return frozenset(v for v in versions if shown(old, name, v) != shown(new, name, v))


def action(old: Advisory | None, new: Advisory) -> str:
    """The journal's word for replacing ``old`` (None: there was none) with ``new``."""
    if new.withdrawn is not None and (old is None or old.withdrawn is None):
        return WITHDRAWN
    return ADDED if old is None else CHANGED
