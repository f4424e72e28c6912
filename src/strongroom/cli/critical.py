"""``strongroom admin critical``: rank projects by downloads, list the critical ones, and an
admin's marks; the owners and maintainers of a project that becomes critical are mailed."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click

from strongroom.cli.durations import Duration
from strongroom.cli.options import open_state, state_options
from strongroom.cli.rows import print_rows
from strongroom.config import Settings, parse_share
from strongroom.critical import DEFAULT_WINDOW, CriticalProjects, NewlyCritical
from strongroom.mail import compose, open_sender


def _share(text: str) -> float:
    try:
        return parse_share(text)
    except ValueError:
        raise click.BadParameter(f"{text!r} is not a share such as 1% or 0.01 (more than 0%, "
                                 "at most 100%)") from None


def notice_text(settings: Settings, newly: NewlyCritical, username: str) -> str:
    """The mail telling ``username`` that ``newly.project`` became critical."""
    base = settings.public_base_url
    return (f"Hello {username},\n\n{newly.project}, a project you maintain on {base}, is now a "
            "critical project: one of the most downloaded, or marked so by the index's "
            "administrators.\n\n"
            f"Within {settings.critical_grace:g} days, set up two-factor authentication at "
            f"{base}/account/totp (or a security key at {base}/account/keys), then create a new "
            f"API token at {base}/account/tokens. When the policy of this index requires it, "
            "tokens made without a second factor stop working for this project after that.\n")


def _tell(settings: Settings, newly: list[NewlyCritical]) -> int:
    sender, sent = open_sender(settings), 0
    for project in newly:
        for person in project.people:
            for address in person.addresses:
                sender.send(compose(sender=settings.mail_sender, to=address,
                                    subject=f"{project.project} is now a critical project",
                                    text=notice_text(settings, project, person.username)))
                sent += 1
    return sent


@click.group()
def critical() -> None:
    """Critical projects: the most downloaded, and those an admin marks."""


@critical.command("rank")
@click.option("--share", default="1%", show_default=True,
              help="The top share of all projects by downloads that is critical.")
@click.option("--window", type=Duration(), default=f"{DEFAULT_WINDOW.days}d",
              show_default=True, help="Count downloads over this trailing window.")
@click.option("--dry-run", is_flag=True, help="Only report; change nothing, mail no one.")
@state_options
def rank(share: str, window: dt.timedelta, dry_run: bool, data_dir: Path | None,
         config_file: Path | None) -> None:
    """Make the most downloaded projects critical, and mail their owners and maintainers
    (a project stays critical until an admin unmarks it). Run it daily."""
    settings, db = open_state(data_dir, config_file)
    ranking = CriticalProjects(db).rank(now=dt.datetime.now(dt.UTC), share=_share(share),
                                        window=window, dry_run=dry_run)
    newly = {n.project for n in ranking.newly_critical}
    print_rows("The most downloaded projects", ("project", "downloads", "new"),
               [(project, str(count), "new" if project in newly else "")
                for project, count in ranking.ranked], empty="no downloads counted yet")
    sent = 0 if dry_run else _tell(settings, ranking.newly_critical)
    verb = "would become" if dry_run else "became"
    click.echo(f"top {ranking.top} project(s); {len(newly)} {verb} critical; {sent} mail(s) "
               "sent", err=True)


@critical.command("list")
@state_options
def list_critical(data_dir: Path | None, config_file: Path | None) -> None:
    """Critical projects, and projects an admin pinned."""
    _settings, db = open_state(data_dir, config_file)
    rows = [(v.project, "critical" if v.critical else "not critical",
             v.since.isoformat(timespec="seconds") if v.since else "", v.source or "",
             v.pinned or "") for v in CriticalProjects(db).all()]
    print_rows("Critical projects", ("project", "state", "since", "by", "pinned"), rows,
               empty="no critical projects")


@critical.command("mark")
@click.argument("project")
@click.option("--off", "state", flag_value="off", help="Never critical by the ranking.")
@click.option("--auto", "state", flag_value="auto",
              help="Forget the admin's word: the ranking decides.")
@click.option("--on", "state", flag_value="on", default=True, help="Critical (the default).")
@state_options
def mark(project: str, state: str, data_dir: Path | None, config_file: Path | None) -> None:
    """Mark PROJECT critical (or, with --off, never critical by the ranking)."""
    settings, db = open_state(data_dir, config_file)
    word = {"on": True, "off": False, "auto": None}[state]
    newly = CriticalProjects(db).mark(project, critical=word, now=dt.datetime.now(dt.UTC),
                                      actor="admin")
    sent = _tell(settings, [newly]) if newly is not None else 0
    click.echo(f"{project}: {state}" + (f"; now critical, {sent} mail(s) sent" if newly else ""),
               err=True)
