"""``strongroom admin history``: the security history, exported as JSON lines or shown."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import click

from strongroom.accounts import AccountService
from strongroom.cli.options import open_state, state_options
from strongroom.cli.rows import print_rows
from strongroom.errors import NotFound
from strongroom.history import MAX_PAGE, EventView, History

_COLUMNS = ("id", "time", "event", "user", "project", "address", "user agent", "details")


class Moment(click.ParamType[dt.datetime]):
    """A date or time in ISO 8601 (``2026-01-31``, ``2026-01-31T12:00``, with ``Z`` or an
    offset, or without: UTC), as an aware datetime. A date means its midnight, UTC."""

    name = "date"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> dt.datetime:
        if isinstance(value, dt.datetime):
            return value
        try:
            moment = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            self.fail(f"{value!r} is not a date or time like 2026-01-31 or "
                      "2026-01-31T12:00:00Z", param, ctx)
        return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


@click.group("history")
def history() -> None:
    """The security history: sign-ins, second factors, API tokens, roles and accounts."""


@history.command("export")
@click.option("--since", type=Moment(), help="Only events from this date or time on (UTC "
                                             "unless it says otherwise).")
@click.option("--until", type=Moment(), help="Only events before this date or time.")
@click.option("--output", type=click.Path(path_type=Path, dir_okay=False),
              help="Write to this file (default: standard output).")
@state_options
def history_export(since: dt.datetime | None, until: dt.datetime | None, output: Path | None,
                   data_dir: Path | None, config_file: Path | None) -> None:
    """Every event as JSON lines, oldest first: one object per line with id, created
    (ISO 8601 UTC), kind, user_id (null once the account is deleted), username, project,
    address, user_agent and details. ``--since 2026-01-01 --until 2026-02-01`` is January."""
    _settings, db = open_state(data_dir, config_file)
    if output is None:
        count = History(db).export(sys.stdout, since=since, until=until)
    else:
        with output.open("w", encoding="utf-8") as stream:
            count = History(db).export(stream, since=since, until=until)
    click.echo(f"exported {count} event(s)" + (f" to {output}" if output else ""), err=True)


@history.command("show")
@click.option("--user", "username", help="Only this user's events (for a deleted account, "
                                         "the events it left under this name).")
@click.option("--project", help="Only the events of this project.")
@click.option("--limit", type=click.IntRange(1, MAX_PAGE), default=50, show_default=True,
              help="How many events, newest first.")
@state_options
def history_show(username: str | None, project: str | None, limit: int, data_dir: Path | None,
                 config_file: Path | None) -> None:
    """The newest events, newest first: a table on a terminal, else one tab-separated line
    each of id, time, event, user, project, address, user agent and details (JSON)."""
    _settings, db = open_state(data_dir, config_file)
    user_id, former_username = None, None
    if username is not None:
        try:
            user_id = AccountService(db).get_user(username).id
        except NotFound:
            former_username = username
    events = History(db).find(user_id=user_id, former_username=former_username,
                              project=project, limit=limit)
    print_rows("Security history", _COLUMNS, [_row(event) for event in events],
               empty="no events" + (f" of user {username!r}" if username else "")
               + (f" of project {project!r}" if project else ""))


def _row(event: EventView) -> tuple[str, ...]:
    details = json.dumps(event.details, separators=(",", ":"), sort_keys=True,
                         ensure_ascii=False) if event.details else ""
    user = event.username or ""
    if user and event.user_id is None:
        user += " (deleted)"
    return (str(event.id), f"{event.created:%Y-%m-%d %H:%M:%S} UTC", event.kind,
            user, event.project or "", event.address or "",
            event.user_agent or "", details)
