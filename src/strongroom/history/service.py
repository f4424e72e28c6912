"""The security history: events recorded in the transaction of the change they describe, read
back a page at a time, and exported as JSON lines.

Recording runs one prepared Core insert (db/statements.py) on the caller's connection, because
a token's first use in an hour records an event on the upload path. Reading is admin and web
work: Core selects in an ORM session, returning rows rather than tracked objects, so that an
export holds one batch at a time however long the table is.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import ColumnElement, Connection, Row, func, select
from sqlalchemy.orm import Session

from strongroom.db.base import utcnow
from strongroom.db.engine import Database
from strongroom.db.statements import Prepared, execute, insert_values
from strongroom.domain.names import normalize
from strongroom.errors import InvalidInput
from strongroom.history.kinds import EventKind
from strongroom.history.models import SecurityEvent

MAX_ADDRESS_LENGTH = 45  # the longest textual IP address: IPv6 with an IPv4 tail
MAX_USER_AGENT_LENGTH = 300
MAX_USERNAME_LENGTH = 50
MAX_PROJECT_LENGTH = 200
MAX_PAGE = 1000  # the most events one page holds; an export has no such limit
EXPORT_BATCH = 1000  # events an export reads per query


class Account(Protocol):
    """What the history needs of a user (strongroom.accounts' ``User`` has it)."""

    @property
    def id(self) -> int: ...

    @property
    def username(self) -> str: ...


# A user, or their (id, username); id None for a name that has no account.
Who = Account | tuple[int | None, str]


@runtime_checkable
class Writable(Protocol):
    """A text stream (``sys.stdout``, an open file)."""

    def write(self, text: str, /) -> object: ...


@dataclass(frozen=True)
class EventView:
    """One recorded event. ``created`` is UTC; ``user_id`` is None once the account was
    deleted (``username`` keeps the name it had); ``kind`` is an EventKind's value, kept as a
    string so that rows of a newer version still read."""

    id: int
    created: dt.datetime
    kind: str
    user_id: int | None
    username: str | None
    project: str | None
    address: str | None
    user_agent: str | None
    details: dict[str, Any]

    def as_json(self, *, client: bool = True) -> dict[str, Any]:
        """The event as a JSON object: every field, ``created`` in ISO 8601 UTC ("Z"); without
        ``client``, none of the client's (``address``, ``user_agent``)."""
        where = {"address": self.address, "user_agent": self.user_agent} if client else {}
        return {"id": self.id, "created": iso_utc(self.created), "kind": self.kind,
                "user_id": self.user_id, "username": self.username, "project": self.project,
                **where, "details": self.details}


def iso_utc(moment: dt.datetime) -> str:
    """``moment`` in ISO 8601, in UTC, to the microsecond: ``2026-11-25T12:00:00.000000Z``."""
    return moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


_INSERT = Prepared(insert_values(SecurityEvent, "created", "kind", "user_id", "username",
                                 "project", "address", "user_agent", "details"))
_COLUMNS = (SecurityEvent.id, SecurityEvent.created, SecurityEvent.kind, SecurityEvent.user_id,
            SecurityEvent.username, SecurityEvent.project, SecurityEvent.address,
            SecurityEvent.user_agent, SecurityEvent.details)


def _view(row: Row[*tuple[Any, ...]]) -> EventView:
    return EventView(id=row.id, created=row.created, kind=row.kind, user_id=row.user_id,
                     username=row.username, project=row.project, address=row.address,
                     user_agent=row.user_agent, details=json.loads(row.details))


class History:
    """Records security events and reads them back, newest first or as an export."""

    def __init__(self, db: Database) -> None:
        self._db = db

    @staticmethod
    def record(
        session: Session | Connection,
        kind: EventKind,
        *,
        user: Who | None = None,
        project: str | None = None,
        address: str | None = None,
        user_agent: str | None = None,
        details: Mapping[str, Any] | None = None,
        now: dt.datetime,
    ) -> None:
        """Add an event at ``now`` in the caller's transaction (an ORM session, which is
        flushed first, or a Core connection), so that it commits, or not, with the change it
        describes. It needs no database of its own: ``History.record(...)`` works too.

        ``project`` is stored normalised; ``address`` and ``user_agent`` are cut to what the
        table holds (45 and 300 characters): they are what a client said, not ours to refuse.
        ``details`` must be JSON-serialisable (TypeError otherwise); it is stored as compact
        JSON with sorted keys. Never put a secret in it.
        """
        if isinstance(session, Session):
            session.flush()  # the user row exists, and the event follows the change it records
            connection = session.connection()
        else:
            connection = session
        user_id, username = (None, None) if user is None else (
            user if isinstance(user, tuple) else (user.id, user.username))
        execute(connection, _INSERT, {
            "created": now,
            "kind": str(kind),
            "user_id": user_id,
            "username": username[:MAX_USERNAME_LENGTH] if username is not None else None,
            "project": normalize(project)[:MAX_PROJECT_LENGTH] if project else None,
            "address": address[:MAX_ADDRESS_LENGTH] if address is not None else None,
            "user_agent": (user_agent[:MAX_USER_AGENT_LENGTH] if user_agent is not None
                           else None),
            "details": json.dumps(dict(details or {}), separators=(",", ":"), sort_keys=True),
        })

    def record_now(
        self,
        kind: EventKind,
        *,
        user: Who | None = None,
        project: str | None = None,
        address: str | None = None,
        user_agent: str | None = None,
        details: Mapping[str, Any] | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        """``record`` in a write transaction of its own, committed before returning: for an
        event that changes nothing else (a failed login). ``now`` defaults to the current
        time. Raises Unavailable when the database stays busy."""
        with self._db.write_connection() as connection:
            self.record(connection, kind, user=user, project=project, address=address,
                        user_agent=user_agent, details=details, now=now or utcnow())

    def for_user(self, user_id: int, *, limit: int, before_id: int | None = None
                 ) -> list[EventView]:
        """The newest ``limit`` events of the account ``user_id`` older than the event
        ``before_id`` (the last id of the previous page), newest first."""
        return self.find(user_id=user_id, limit=limit, before_id=before_id)

    def for_project(self, project: str, *, limit: int, before_id: int | None = None
                    ) -> list[EventView]:
        """The newest ``limit`` events of ``project`` (any spelling of its name) older than
        the event ``before_id``, newest first."""
        return self.find(project=project, limit=limit, before_id=before_id)

    def find(
        self,
        *,
        user_id: int | None = None,
        former_username: str | None = None,
        project: str | None = None,
        limit: int,
        before_id: int | None = None,
    ) -> list[EventView]:
        """The newest ``limit`` (1 to MAX_PAGE) events matching every filter given, older than
        the event ``before_id``, newest first: of the account ``user_id``; of deleted accounts
        once called ``former_username`` (compared without case); of ``project``. With no
        filter, every event. Raises InvalidInput for a limit out of range."""
        if not 1 <= limit <= MAX_PAGE:
            raise InvalidInput(f"limit {limit}: a page holds 1 to {MAX_PAGE} events")
        conditions: list[ColumnElement[bool]] = []
        if user_id is not None:
            conditions.append(SecurityEvent.user_id == user_id)
        if former_username is not None:
            conditions += [SecurityEvent.user_id.is_(None),
                           func.lower(SecurityEvent.username) == former_username.lower()]
        if project is not None:
            conditions.append(SecurityEvent.project == normalize(project))
        if before_id is not None:
            conditions.append(SecurityEvent.id < before_id)
        query = (select(*_COLUMNS).where(*conditions)
                 .order_by(SecurityEvent.id.desc()).limit(limit))
        with self._db.read() as session:
            return [_view(row) for row in session.execute(query)]

    def export(
        self,
        out: Writable | Callable[[str], object],
        *,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        user_id: int | None = None,
        project: str | None = None,
        client: bool = True,
        batch: int = EXPORT_BATCH,
    ) -> int:
        """Write every event created at or after ``since`` and before ``until`` (aware
        datetimes; None: no bound), of the account ``user_id`` and of ``project`` (any
        spelling of its name) when given, as JSON lines, oldest first: one
        ``EventView.as_json(client=client)`` object per line, each line ending in a newline,
        given to ``out.write`` or to ``out`` itself. Returns how many were written.

        Without ``client`` the lines leave out the address and user agent of whoever caused
        each event: an export for one person of events that others caused (a project's, for
        its Owners) must not hand them the others' addresses.

        The events are read ``batch`` at a time, each query starting after the last id
        written, so memory stays flat however many there are. Raises InvalidInput for a naive
        bound.
        """
        for name, bound in (("since", since), ("until", until)):
            if bound is not None and bound.tzinfo is None:
                raise InvalidInput(f"{name} {bound.isoformat()}: give a time zone (UTC)")
        write = out.write if isinstance(out, Writable) else out
        conditions: list[ColumnElement[bool]] = []
        if since is not None:
            conditions.append(SecurityEvent.created >= since)
        if until is not None:
            conditions.append(SecurityEvent.created < until)
        if user_id is not None:
            conditions.append(SecurityEvent.user_id == user_id)
        if project is not None:
            conditions.append(SecurityEvent.project == normalize(project))
        query = select(*_COLUMNS).where(*conditions).order_by(SecurityEvent.id).limit(batch)
        written, last_id = 0, 0
        with self._db.read() as session:
            while True:
                rows = session.execute(query.where(SecurityEvent.id > last_id)).all()
                for row in rows:
                    write(json.dumps(_view(row).as_json(client=client), separators=(",", ":"),
                                     ensure_ascii=False) + "\n")
                written += len(rows)
                if len(rows) < batch:
                    return written
                last_id = rows[-1].id
