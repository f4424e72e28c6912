"""Journaling a change to a project: its journal entries, and the project's ``last_serial``
moved to the newest of them (the ``_last-serial`` its pages show). A prepared Core update (see
db/statements.py), as the journal's own statements are."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import Connection, bindparam, update

from strongroom.db import journal
from strongroom.db.statements import Prepared, execute
from strongroom.projects.models import Project


def journal_changes(
    connection: Connection,
    *,
    project: str,
    changes: Sequence[journal.Change],
    now: dt.datetime,
    submitted_by: str | None = None,
) -> int:
    """Append one journal entry per change for the normalised ``project`` and move the
    project's ``last_serial`` to the last of them; returns that serial.

    Call it only inside ``Database.write()`` or ``Database.write_connection()``, which serialise
    writers. An ORM caller flushes its session first and passes ``session.connection()``. (An
    upload, which updates the project anyway, uses ``journal.add_entries`` and sets the serial
    in that update.)
    """
    serial = journal.add_entries(connection, project=project, changes=changes, now=now,
                                 submitted_by=submitted_by)
    execute(connection, _MOVE_PROJECT, {"project": project, "new_serial": serial})
    return serial


_MOVE_PROJECT = Prepared(
    update(Project)
    .where(Project.normalized_name == bindparam("project"))
    .values(last_serial=bindparam("new_serial"))
)
