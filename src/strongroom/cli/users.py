"""``strongroom admin user``: create, list, show, disable, enable and delete accounts, and
reset a user's second factors."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import click

from strongroom.accounts import (
    AccountAdmin,
    AccountDependent,
    AccountService,
    PasswordPolicy,
    UserSummary,
)
from strongroom.cli.options import open_state, state_options
from strongroom.cli.rows import print_rows
from strongroom.index import commit_hook
from strongroom.oidc import forget_pending_publishers
from strongroom.projects import leave_projects
from strongroom.tokens import TokenService, forget_tokens
from strongroom.upload import forget_uploader

_COLUMNS = ("user", "email", "status", "created")
_ACTOR = "admin"
# Every capability whose rows point at an account, each doing its part of deleting one.
_DEPENDENTS: tuple[AccountDependent, ...] = (leave_projects, forget_tokens, forget_uploader,
                                             forget_pending_publishers)


def _accounts(data_dir: Path | None, config_file: Path | None) -> AccountService:
    _settings, db = open_state(data_dir, config_file)
    return AccountService(db)


def _row(summary: UserSummary) -> tuple[str, ...]:
    return (summary.username, summary.email, "active" if summary.active else "disabled",
            f"{summary.created:%Y-%m-%d %H:%M:%S} UTC")


@click.group()
def user() -> None:
    """Manage user accounts."""


@user.command("create")
@click.argument("username")
@click.option("--email", required=True, help="The user's e-mail address.")
@click.option("--password-stdin", is_flag=True, required=True,
              help="Read the password from standard input (first line).")
@state_options
def user_create(username: str, email: str, password_stdin: bool, data_dir: Path | None,
                config_file: Path | None) -> None:
    """Create a user (and the index, where there is none yet)."""
    password = sys.stdin.readline().rstrip("\r\n") if password_stdin else ""
    settings, db = open_state(data_dir, config_file, create=True)
    accounts = AccountService(db, policy=PasswordPolicy.from_settings(settings))
    created = accounts.create_user(username, email=email, password=password)
    click.echo(f"created user {created.username}", err=True)


@user.command("list")
@state_options
def user_list(data_dir: Path | None, config_file: Path | None) -> None:
    """Every user: a table on a terminal, else one tab-separated line each of user, email,
    status (active or disabled) and created."""
    users = _accounts(data_dir, config_file).list_users()
    print_rows("Users", _COLUMNS, [_row(summary) for summary in users],
               empty="no users yet (strongroom admin user create)")


@user.command("show")
@click.argument("username")
@state_options
def user_show(username: str, data_dir: Path | None, config_file: Path | None) -> None:
    """A user's account and how many API tokens they hold (``token list`` shows them)."""
    _settings, db = open_state(data_dir, config_file)
    account = AccountService(db).summary(username)
    tokens = TokenService(db).list_for(account.username)
    name, email, status, created = _row(account)
    for label, value in (("user", name), ("email", email), ("status", status),
                         ("created", created), ("API tokens", str(len(tokens)))):
        click.echo(f"{label + ':':<12}{value}")


def _set_active(username: str, active: bool, data_dir: Path | None,
                config_file: Path | None) -> None:
    changed = _accounts(data_dir, config_file).set_active(username, active=active,
                                                          now=dt.datetime.now(dt.UTC),
                                                          actor=_ACTOR)
    click.echo(f"{'enabled' if active else 'disabled'} user {changed.username}", err=True)


@user.command("disable")
@click.argument("username")
@state_options
def user_disable(username: str, data_dir: Path | None, config_file: Path | None) -> None:
    """Disable a user: their API tokens are refused from their next upload on (and from
    reads of a private index within 30 seconds); nothing they published changes."""
    _set_active(username, False, data_dir, config_file)


@user.command("enable")
@click.argument("username")
@state_options
def user_enable(username: str, data_dir: Path | None, config_file: Path | None) -> None:
    """Enable a disabled user again: their tokens work again."""
    _set_active(username, True, data_dir, config_file)


@user.command("delete")
@click.argument("username")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@state_options
def user_delete(username: str, yes: bool, data_dir: Path | None,
                config_file: Path | None) -> None:
    """Delete an account, after saying what goes with it and asking (unless --yes).

    Refused while the user is a project's only Owner (make someone else an Owner first).
    Their API tokens are deleted (refused at their next use), their roles removed (each
    journaled), their e-mail addresses, second factors and web sessions deleted. What they
    published stays, and so do the journal (which names them) and their security history
    (kept under their name, no longer linked to an account); ``account.deleted`` joins it.
    """
    settings, db = open_state(data_dir, config_file)
    accounts = AccountAdmin(db, dependents=_DEPENDENTS, on_commit=commit_hook(settings))
    # A dry run first: a refusal comes before the question, and the question says it all.
    plan = accounts.delete(username, now=dt.datetime.now(dt.UTC), actor=_ACTOR, dry_run=True)
    if not yes:
        click.echo(f"Deleting user {plan.username}:", err=True)
        for line in plan.released:
            click.echo(f"  {line}", err=True)
        click.confirm(f"Delete user {plan.username}?", abort=True, err=True)
    deleted = accounts.delete(plan.username, now=dt.datetime.now(dt.UTC), actor=_ACTOR)
    click.echo(f"deleted user {deleted.username}: {'; '.join(deleted.released)}", err=True)


@user.command("reset-2fa")
@click.argument("username")
@click.option("--reason", required=True,
              help="Why, e.g. how you made sure the request came from them: kept in the "
                   "security history.")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@state_options
def user_reset_2fa(username: str, reason: str, yes: bool, data_dir: Path | None,
                   config_file: Path | None) -> None:
    """Remove a user's second factors (TOTP, security keys, recovery codes) and end their
    web sessions, for someone who lost them: they sign in with their password alone and set
    up a second factor again. Their API tokens stay. Recorded as ``2fa.reset`` with the
    reason."""
    _settings, db = open_state(data_dir, config_file)
    name = AccountService(db).summary(username).username
    if not yes:
        click.confirm(f"Remove every second factor of {name} and end their web sessions?",
                      abort=True, err=True)
    reset = AccountAdmin(db).reset_second_factors(name, reason=reason,
                                                  now=dt.datetime.now(dt.UTC), actor=_ACTOR)
    click.echo(f"reset the second factors of {reset.username}: "
               f"TOTP {'removed' if reset.totp else 'none'}, "
               f"{reset.security_keys} security key(s) and {reset.recovery_codes} recovery "
               f"code(s) removed, {reset.sessions} web session(s) ended", err=True)
