"""``strongroom admin history export`` and ``history show``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from click.testing import CliRunner, Result
from sqlalchemy import delete

from strongroom.cli.admin import admin
from strongroom.cli.state import open_index
from strongroom.config import Settings
from strongroom.history import EventKind, History, SecurityEvent
from tests.unit.cli.indexes import index_with_users

JAN = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def _run(data: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner(env=env).invoke(admin, ["history", *args, "--data-dir", str(data)])


def _index_with_events(tmp_path: Path) -> Path:
    """'alice' with a login on the 1st of each month of 2026 (with an address, a user agent
    and details) and 'bob' with a role added in 'Demo_Lib' on 1 June: the whole history (the
    making of the two accounts is taken out of it, so that these events are ids 1 to 13)."""
    data = index_with_users(tmp_path, "alice", "bob")
    db = open_index(Settings(data_dir=data))
    try:
        with db.write() as session:
            session.execute(delete(SecurityEvent))
            alice_id, bob_id = 1, 2
            for month in range(1, 13):
                History.record(session, EventKind.LOGIN, user=(alice_id, "alice"),
                               address="192.0.2.1", user_agent="Firefox\t128",
                               details={"month": month}, now=JAN.replace(month=month))
                if month == 6:
                    History.record(session, EventKind.ROLE_ADDED, user=(bob_id, "bob"),
                                   project="Demo_Lib", details={"role": "Owner"},
                                   now=JAN.replace(month=6, hour=12))
    finally:
        db.dispose()
    return data


def test_export_writes_json_lines_oldest_first_on_stdout(tmp_path: Path) -> None:
    data = _index_with_events(tmp_path)

    exported = _run(data, "export")

    assert exported.exit_code == 0, exported.output
    events = [json.loads(line) for line in exported.stdout.splitlines()]
    assert len(events) == 13
    assert [e["created"] for e in events[:2]] == ["2026-01-01T00:00:00.000000Z",
                                                 "2026-02-01T00:00:00.000000Z"]
    assert events[6] == {"id": 7, "created": "2026-06-01T12:00:00.000000Z",
                         "kind": "role.added", "user_id": 2, "username": "bob",
                         "project": "demo-lib", "address": None, "user_agent": None,
                         "details": {"role": "Owner"}}
    assert exported.stderr == "exported 13 event(s)\n"


def test_export_between_dates_to_a_file(tmp_path: Path) -> None:
    data = _index_with_events(tmp_path)
    out = tmp_path / "events.jsonl"

    exported = _run(data, "export", "--since", "2026-03-01", "--until", "2026-06-01T12:00:00Z",
                    "--output", str(out))

    assert exported.exit_code == 0, exported.output
    assert exported.stdout == ""
    assert exported.stderr == f"exported 4 event(s) to {out}\n"
    months = [json.loads(line)["details"]["month"] for line in out.read_text().splitlines()]
    assert months == [3, 4, 5, 6]  # the 1 June login, not bob's role added at noon

    # An offset is honoured: midnight in UTC+02:00 is 22:00 the day before in UTC.
    late = _run(data, "export", "--since", "2026-12-01T01:00:00+02:00")
    assert [json.loads(line)["details"]["month"] for line in late.stdout.splitlines()] == [12]


def test_a_date_that_is_not_one_is_a_usage_error(tmp_path: Path) -> None:
    data = _index_with_events(tmp_path)
    refused = _run(data, "export", "--since", "last tuesday")
    assert refused.exit_code == 2
    assert "'last tuesday' is not a date or time like 2026-01-31" in refused.output


def test_show_prints_the_newest_events_as_tab_separated_lines(tmp_path: Path) -> None:
    data = _index_with_events(tmp_path)

    shown = _run(data, "show", "--limit", "3")

    assert shown.exit_code == 0, shown.output
    rows = [line.split("\t") for line in shown.stdout.splitlines()]
    assert rows == [
        ["13", "2026-12-01 00:00:00 UTC", "login", "alice", "-", "192.0.2.1", "Firefox 128",
         '{"month":12}'],
        ["12", "2026-11-01 00:00:00 UTC", "login", "alice", "-", "192.0.2.1", "Firefox 128",
         '{"month":11}'],
        ["11", "2026-10-01 00:00:00 UTC", "login", "alice", "-", "192.0.2.1", "Firefox 128",
         '{"month":10}']]


def test_show_by_user_and_by_project(tmp_path: Path) -> None:
    data = _index_with_events(tmp_path)

    bobs = _run(data, "show", "--user", "BOB").stdout.splitlines()
    projects = _run(data, "show", "--project", "demo.lib").stdout.splitlines()
    alices = _run(data, "show", "--user", "alice").stdout.splitlines()

    assert [line.split("\t")[:5] for line in bobs] == [
        ["7", "2026-06-01 12:00:00 UTC", "role.added", "bob", "demo-lib"]]
    assert projects == bobs
    assert len(alices) == 12
    none = _run(data, "show", "--user", "carol", "--project", "demo-lib")
    assert (none.exit_code, none.stdout) == (0, "")
    assert none.stderr == "no events of user 'carol' of project 'demo-lib'\n"


def test_show_on_a_terminal_is_a_table(tmp_path: Path) -> None:
    data = _index_with_events(tmp_path)
    shown = _run(data, "show", "--project", "demo-lib",
                 env={"TTY_COMPATIBLE": "1", "COLUMNS": "200", "NO_COLOR": "1"})
    assert shown.exit_code == 0, shown.output
    assert "Security history" in shown.stdout
    assert "role.added" in shown.stdout


def test_show_limits_are_checked(tmp_path: Path) -> None:
    data = _index_with_events(tmp_path)
    for limit in ("0", "1001"):
        refused = _run(data, "show", "--limit", limit)
        assert refused.exit_code == 2, limit
        assert "1<=x<=1000" in refused.output
