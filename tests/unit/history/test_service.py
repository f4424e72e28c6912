"""Recording security events, reading them a page at a time, and exporting them."""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, select

import strongroom
from strongroom.accounts import AccountService, User
from strongroom.db.engine import Database
from strongroom.errors import InvalidInput
from strongroom.history import EventKind, History, SecurityEvent

NOW = dt.datetime(2026, 11, 25, 12, 0, tzinfo=dt.UTC)


def _account(database: Database, name: str) -> User:
    """A user whose history is empty: made as a row, not through AccountService, which
    records ``account.created``."""
    with database.write() as session:
        user = User(username=name, password_hash="not a hash")
        session.add(user)
        session.flush()
        return user


@pytest.fixture
def alice(database: Database) -> User:
    return _account(database, "alice")


@pytest.fixture
def history(database: Database) -> History:
    return History(database)


def _record(database: Database, kind: EventKind, **kwargs: object) -> None:
    with database.write() as session:
        History.record(session, kind, **kwargs)  # type: ignore[arg-type]


def test_an_event_is_read_back_as_recorded(database: Database, history: History,
                                           alice: User) -> None:
    _record(database, EventKind.LOGIN, user=alice, project="Demo_Lib", address="192.0.2.7",
            user_agent="Mozilla/5.0", details={"method": "password", "second": True}, now=NOW)

    [seen] = history.for_user(alice.id, limit=10)

    assert (seen.kind, seen.created, seen.user_id, seen.username, seen.project, seen.address,
            seen.user_agent, seen.details) == (
        "login", NOW, alice.id, "alice", "demo-lib", "192.0.2.7", "Mozilla/5.0",
        {"method": "password", "second": True})
    with database.read() as session:
        stored = session.scalar(select(SecurityEvent.details))
    assert stored == '{"method":"password","second":true}'  # compact, keys sorted


def test_address_and_user_agent_are_cut_to_what_the_table_holds(
        database: Database, history: History, alice: User) -> None:
    _record(database, EventKind.LOGIN_FAILED, user=(alice.id, alice.username),
            address="2001:db8::" + "f" * 60, user_agent="U" * 1000, now=NOW)

    [seen] = history.for_user(alice.id, limit=1)

    assert seen.address == ("2001:db8::" + "f" * 60)[:45]
    assert seen.user_agent == "U" * 300
    assert seen.details == {}


def test_an_event_commits_or_rolls_back_with_the_change_it_describes(
        database: Database, history: History, alice: User) -> None:
    class Refused(Exception):
        pass

    def disable(*, then_fail: bool) -> None:
        with database.write() as session:
            session.get(User, alice.id).is_active = False  # type: ignore[union-attr]
            History.record(session, EventKind.ACCOUNT_DISABLED, user=alice, now=NOW)
            if then_fail:
                raise Refused

    with pytest.raises(Refused):
        disable(then_fail=True)
    assert history.for_user(alice.id, limit=10) == []
    assert AccountService(database).summary("alice").active

    disable(then_fail=False)

    assert [e.kind for e in history.for_user(alice.id, limit=10)] == ["account.disabled"]


def test_record_now_commits_an_event_of_its_own(database: Database, history: History,
                                                alice: User) -> None:
    history.record_now(EventKind.LOGIN_FAILED, user=alice, address="198.51.100.1", now=NOW)
    history.record_now(EventKind.LOGIN_FAILED, user=(None, "nobody"))

    [own, other] = history.find(limit=10)
    assert (own.kind, own.username, own.user_id) == ("login.failed", "nobody", None)
    assert dt.datetime.now(dt.UTC) - own.created < dt.timedelta(minutes=1)
    assert (other.kind, other.user_id, other.created) == ("login.failed", alice.id, NOW)


def test_pages_are_newest_first_and_follow_on_by_id(database: Database, history: History,
                                                    alice: User) -> None:
    bob = _account(database, "bob")
    for minute in range(7):
        _record(database, EventKind.TOKEN_USED, user=alice, project="demo",
                details={"n": minute}, now=NOW + dt.timedelta(minutes=minute))
        _record(database, EventKind.TOKEN_USED, user=bob, project="other",
                details={"n": minute}, now=NOW + dt.timedelta(minutes=minute))

    first = history.for_user(alice.id, limit=3)
    second = history.for_user(alice.id, limit=3, before_id=first[-1].id)
    last = history.for_user(alice.id, limit=3, before_id=second[-1].id)

    assert [[e.details["n"] for e in page] for page in (first, second, last)] == [
        [6, 5, 4], [3, 2, 1], [0]]
    assert {e.username for page in (first, second, last) for e in page} == {"alice"}
    assert history.for_user(alice.id, limit=3, before_id=last[-1].id) == []

    projects = history.for_project("Other", limit=4)
    assert [e.details["n"] for e in projects] == [6, 5, 4, 3]
    assert [e.details["n"] for e in history.for_project("OTHER", limit=4,
                                                        before_id=projects[-1].id)] == [2, 1, 0]
    assert {e.username for e in projects} == {"bob"}


def test_a_page_holds_one_to_a_thousand_events(history: History) -> None:
    for limit in (0, 1001):
        with pytest.raises(InvalidInput, match="a page holds 1 to 1000 events"):
            history.find(limit=limit)


def _fill(database: Database, alice: User, count: int) -> None:
    """``count`` events a minute apart from NOW, in one transaction."""
    with database.write() as session:
        for n in range(count):
            History.record(session, EventKind.TOKEN_USED, user=alice, details={"n": n},
                           address="192.0.2.1", now=NOW + dt.timedelta(minutes=n))


@pytest.fixture
def statements(database: Database) -> Iterator[list[str]]:
    """The SQL statements the engine runs meanwhile (SQLAlchemy's own execution)."""
    seen: list[str] = []

    def _seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(statement)

    event.listen(database.engine, "before_cursor_execute", _seen)
    yield seen
    event.remove(database.engine, "before_cursor_execute", _seen)


def test_export_writes_every_event_as_a_json_line_oldest_first_in_batches(
        database: Database, history: History, alice: User, statements: list[str]) -> None:
    _fill(database, alice, 25)
    out = io.StringIO()
    statements.clear()

    count = history.export(out, batch=10)

    lines = out.getvalue().splitlines(keepends=True)
    assert count == len(lines) == 25
    assert all(line.endswith("}\n") for line in lines)
    events = [json.loads(line) for line in lines]
    assert [e["details"]["n"] for e in events] == list(range(25))
    assert [e["id"] for e in events] == sorted(e["id"] for e in events)
    assert events[0] == {"id": events[0]["id"], "created": "2026-11-25T12:00:00.000000Z",
                         "kind": "token.used", "user_id": alice.id, "username": "alice",
                         "project": None, "address": "192.0.2.1", "user_agent": None,
                         "details": {"n": 0}}
    # Three queries of at most ten rows each, not one of all 25.
    reads = [s for s in statements if "FROM security_events" in s]
    assert len(reads) == 3
    assert all("LIMIT" in s for s in reads)


def test_export_honours_since_inclusive_and_until_exclusive(
        database: Database, history: History, alice: User) -> None:
    _fill(database, alice, 10)
    lines: list[str] = []

    count = history.export(lines.append, since=NOW + dt.timedelta(minutes=3),
                           until=NOW + dt.timedelta(minutes=7), batch=2)

    assert count == 4
    assert [json.loads(line)["details"]["n"] for line in lines] == [3, 4, 5, 6]
    # Another zone's offset is the same moment.
    east = dt.timezone(dt.timedelta(hours=2))
    assert history.export(lines.append, since=dt.datetime(2026, 11, 25, 14, 8, tzinfo=east)) == 2


def test_export_keeps_to_one_project_or_account_and_may_leave_out_the_client(
        database: Database, history: History, alice: User) -> None:
    bob = _account(database, "bob")
    _record(database, EventKind.TOKEN_CREATED, user=alice, project="Demo_Lib",
            address="192.0.2.7", user_agent="alice-laptop", details={"n": 1}, now=NOW)
    _record(database, EventKind.LOGIN, user=alice, address="192.0.2.7", now=NOW)
    _record(database, EventKind.TOKEN_CREATED, user=bob, project="demo-lib",
            address="198.51.100.9", user_agent="bob-phone", details={"n": 2}, now=NOW)
    _record(database, EventKind.TOKEN_CREATED, user=bob, project="other", now=NOW)
    lines: list[str] = []

    assert history.export(lines.append, project="DEMO.lib", client=False) == 2
    events = [json.loads(line) for line in lines]
    assert [(e["username"], e["project"], e["details"]) for e in events] == [
        ("alice", "demo-lib", {"n": 1}), ("bob", "demo-lib", {"n": 2})]
    assert all(set(e) == {"id", "created", "kind", "user_id", "username", "project",
                          "details"} for e in events)
    assert "192.0.2.7" not in "".join(lines)
    assert "bob-phone" not in "".join(lines)

    lines.clear()
    assert history.export(lines.append, user_id=bob.id) == 2
    mine = [json.loads(line) for line in lines]
    assert [(e["project"], e["address"], e["user_agent"]) for e in mine] == [
        ("demo-lib", "198.51.100.9", "bob-phone"), ("other", None, None)]
    lines.clear()
    assert history.export(lines.append, user_id=alice.id, project="other") == 0


def test_export_of_an_empty_history_writes_nothing(history: History) -> None:
    out = io.StringIO()
    assert history.export(out) == 0
    assert out.getvalue() == ""


def test_export_refuses_a_time_without_a_zone(history: History) -> None:
    with pytest.raises(InvalidInput, match="since 2026-11-25T12:00:00: give a time zone"):
        history.export(io.StringIO(), since=NOW.replace(tzinfo=None))


def test_every_kind_fits_the_column() -> None:
    assert max(len(kind) for kind in EventKind) <= SecurityEvent.__table__.c.kind.type.length


def test_every_kind_is_recorded_somewhere() -> None:
    """A kind named here but never passed to the history would be promised to the people who
    read it and never kept."""
    used: set[str] = set()
    for path in Path(strongroom.__file__).parent.rglob("*.py"):
        if path.name != "kinds.py":
            used |= set(re.findall(r"EventKind\.([A-Z_0-9]+)", path.read_text()))
    assert sorted(kind.name for kind in EventKind if kind.name not in used) == []
