"""Reading advisories by package name and records by id, for the render paths.

Each function runs one prepared Core statement (``db/statements.py``) on a connection the
caller opened (``Database.read_connection`` or inside its own transaction), so a JSON API
document, an OSV query or a batch of them pays one round trip per package name. An
``Advisory`` is built from the columns and the package's compact row (``rows.py``): the whole
record is not parsed, so ``severity`` is empty and ``affected`` holds the asked package only.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, bindparam, select

from strongroom.db.statements import Prepared, execute, scalar
from strongroom.domain.advisories import Advisory
from strongroom.domain.names import normalize
from strongroom.vulns.models import VulnerabilityPackage, VulnerabilityRecord
from strongroom.vulns.rows import affected_from_row

_R = VulnerabilityRecord
_P = VulnerabilityPackage
_COLUMNS = (_R.id, _R.modified, _R.published, _R.withdrawn, _R.aliases, _R.summary,
            _R.details, _R.link, _P.affected)


def _by_name(*extra: Any, withdrawn: bool) -> Prepared:
    statement = (select(*_COLUMNS, *extra)
                 .join(_P, _P.record_id == _R.id)
                 .where(_P.name == bindparam("name")))
    if not withdrawn:
        statement = statement.where(_R.withdrawn.is_(None))
    return Prepared(statement.order_by(_R.id))


_ADVISORIES = _by_name(withdrawn=False)
_ADVISORIES_ALL = _by_name(withdrawn=True)
_RECORDS = _by_name(_R.record, withdrawn=False)
_RECORDS_ALL = _by_name(_R.record, withdrawn=True)
_RECORD = Prepared(select(_R.record).where(_R.id == bindparam("id")))


def _advisory(name: str, row: Any) -> Advisory:
    return Advisory(
        id=row.id, modified=row.modified, published=row.published,
        withdrawn=row.withdrawn, aliases=tuple(json.loads(row.aliases)),
        summary=row.summary, details=row.details, link=row.link,
        affected=(affected_from_row(name, row.affected),))


def advisories_for(connection: Connection, name: str, *,
                   withdrawn: bool = False) -> list[Advisory]:
    """The advisories concerning package ``name`` (normalised here), by id. Withdrawn ones
    only when ``withdrawn`` is true (they match no version either way)."""
    key = normalize(name)
    rows = execute(connection, _ADVISORIES_ALL if withdrawn else _ADVISORIES, {"name": key})
    return [_advisory(key, row) for row in rows]


def records_for(connection: Connection, name: str, *,
                withdrawn: bool = False) -> list[tuple[Advisory, str]]:
    """``advisories_for`` with each advisory's whole record as stored (OSV JSON text)."""
    key = normalize(name)
    rows = execute(connection, _RECORDS_ALL if withdrawn else _RECORDS, {"name": key})
    return [(_advisory(key, row), row[-1]) for row in rows]  # record: the last column


def record_by_id(connection: Connection, record_id: str) -> str | None:
    """The record ``record_id`` as stored (withdrawn ones too, as osv.dev serves them), or
    None when there is none. Ids compare exactly."""
    found: str | None = scalar(connection, _RECORD, {"id": record_id})
    return found
