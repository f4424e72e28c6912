"""``strongroom admin``: users, tokens, yanks and housekeeping, against the index's own state."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from rich.console import Console
from rich.progress import Progress

from strongroom.cli.critical import critical
from strongroom.cli.domains import check_email_domains
from strongroom.cli.durations import Duration
from strongroom.cli.export import export_static_command
from strongroom.cli.history import history
from strongroom.cli.importer import import_command
from strongroom.cli.options import open_state, state_options
from strongroom.cli.projects import project
from strongroom.cli.publishers import publisher
from strongroom.cli.rows import print_rows
from strongroom.cli.teams import team
from strongroom.cli.users import user
from strongroom.cli.vulns import vulns
from strongroom.db import journal
from strongroom.errors import StrongroomError
from strongroom.index import commit_hook
from strongroom.lifecycle import YankService, collect_garbage
from strongroom.storage import open_blob_store
from strongroom.tokens import SecondFactorRequired, TokenPolicy, TokenService, TokenSummary


class JournalBroken(StrongroomError):
    """The journal's hash chain does not verify."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@click.group()
def admin() -> None:
    """Administer the index (users, projects and their roles, teams, trusted publishers,
    tokens, yanks, garbage collection, journal, security history)."""


admin.add_command(import_command)
admin.add_command(export_static_command)
admin.add_command(project)
admin.add_command(user)
admin.add_command(check_email_domains)
admin.add_command(critical)
admin.add_command(history)
admin.add_command(team)
admin.add_command(publisher)
admin.add_command(vulns)


@admin.group()
def token() -> None:
    """Manage API tokens."""


@token.command("create")
@click.option("--user", "username", required=True, help="The user the token acts for.")
@click.option("--project", help="Limit the token to this project, which must exist and on "
                                "which the user must be Owner or Maintainer.")
@click.option("--expires-in", type=Duration(), help="Lifetime, e.g. 30d, 12h (default: none).")
@click.option("--description", default="", help="A note to recognise the token by.")
@click.option("--read-only", is_flag=True,
              help="Only for reading (installing from a private index), never uploading.")
@click.option("--without-2fa", "without_2fa", is_flag=True,
              help="Make it even though two_factor_required asks for a second factor the user "
                   "does not have (recorded in the security history).")
@state_options
def token_create(username: str, project: str | None, expires_in: dt.timedelta | None,
                 description: str, read_only: bool, without_2fa: bool, data_dir: Path | None,
                 config_file: Path | None) -> None:
    """Create an API token and print it (only the token) on standard output."""
    settings, db = open_state(data_dir, config_file)
    tokens = TokenService(db, policy=TokenPolicy(settings.two_factor_required,
                                                 settings.public_base_url,
                                                 settings.critical_grace_period))
    try:
        secret = tokens.create(username, now=_now(), project=project, expires_in=expires_in,
                               description=description, read_only=read_only,
                               without_2fa=without_2fa)
    except SecondFactorRequired as refused:
        raise SecondFactorRequired(f"{refused.message} (or pass --without-2fa to make it "
                                   "anyway, recorded in the security history)") from refused
    click.echo(secret)


_TOKEN_COLUMNS = ("id", "description", "project", "access", "created", "expires", "last used")


@token.command("list")
@click.option("--user", "username", required=True, help="The user whose tokens to list.")
@state_options
def token_list(username: str, data_dir: Path | None, config_file: Path | None) -> None:
    """List a user's API tokens (never their secrets): a table on a terminal, else one
    tab-separated line each of id, description, project, access (upload or read-only),
    created, expires, last used."""
    _settings, db = open_state(data_dir, config_file)
    summaries = TokenService(db).list_for(username)
    title = f"API tokens of {summaries[0].username}" if summaries else ""
    print_rows(title, _TOKEN_COLUMNS, [_token_row(summary) for summary in summaries],
               empty=f"no tokens for user {username!r}")


@token.command("revoke")
@click.argument("token_id", metavar="ID")
@state_options
def token_revoke(token_id: str, data_dir: Path | None, config_file: Path | None) -> None:
    """Revoke an API token by its id (from `token list`): its next use is refused."""
    _settings, db = open_state(data_dir, config_file)
    revoked = TokenService(db).revoke(token_id, now=_now())
    description = f"description {revoked.description!r}" if revoked.description else \
        "no description"
    click.echo(f"revoked token {revoked.id} of user {revoked.username} ({description})",
               err=True)


def _token_row(summary: TokenSummary) -> tuple[str, ...]:
    return (summary.id, summary.description, summary.project or "all projects",
            "read-only" if summary.read_only else "upload",
            _when(summary.created), _when(summary.expires), _when(summary.last_used))


def _when(moment: dt.datetime | None) -> str:
    return "never" if moment is None else f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def _yank_service(data_dir: Path | None, config_file: Path | None) -> YankService:
    settings, db = open_state(data_dir, config_file)
    return YankService(db, on_commit=commit_hook(settings))


@admin.command()
@click.argument("project")
@click.argument("version")
@click.option("--reason", default="", help="Why, shown to installers (PEP 592).")
@state_options
def yank(project: str, version: str, reason: str, data_dir: Path | None,
         config_file: Path | None) -> None:
    """Yank a release: installers skip it unless it is pinned exactly."""
    serial = _yank_service(data_dir, config_file).yank(project, version, reason=reason,
                                                       actor="admin")
    click.echo(f"yanked {project} {version}" if serial else f"{project} {version} was already "
               "yanked with that reason", err=True)


@admin.command()
@click.argument("project")
@click.argument("version")
@state_options
def unyank(project: str, version: str, data_dir: Path | None, config_file: Path | None) -> None:
    """Undo a yank."""
    serial = _yank_service(data_dir, config_file).unyank(project, version, actor="admin")
    click.echo(f"unyanked {project} {version}" if serial else f"{project} {version} was not "
               "yanked", err=True)


@admin.command()
@click.option("--grace", type=Duration(), default="1h", show_default=True,
              help="Keep unreferenced blobs younger than this (uploads in flight).")
@click.option("--dry-run", is_flag=True, help="Only list what would be removed.")
@state_options
def gc(grace: dt.timedelta, dry_run: bool, data_dir: Path | None,
       config_file: Path | None) -> None:
    """Remove stored blobs that no file refers to."""
    settings, db = open_state(data_dir, config_file)
    with Progress(transient=True, console=Console(stderr=True)) as progress:
        progress.add_task("collecting garbage", total=None)
        report = collect_garbage(db, open_blob_store(settings), now=_now(),
                                 grace=grace, dry_run=dry_run)
    verb = "would remove" if dry_run else "removed"
    for sha256 in report.removed:
        click.echo(sha256)
    click.echo(f"{verb} {len(report.removed)} blob(s), kept {report.kept}", err=True)


@admin.group("journal")
def journal_group() -> None:
    """Inspect the journal of changes."""


@journal_group.command("verify")
@state_options
def journal_verify(data_dir: Path | None, config_file: Path | None) -> None:
    """Check the journal's hash chain from the first entry to the last."""
    _settings, db = open_state(data_dir, config_file)
    with db.read() as session:
        broken = journal.verify_chain(session)
        newest = journal.last_serial(session)
    if broken is not None:
        raise JournalBroken(f"journal broken at serial {broken.serial}: {broken.reason}")
    click.echo(f"journal intact: {newest} entries", err=True)

