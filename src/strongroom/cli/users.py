"""``strongroom admin user``: create, list, show, disable and enable accounts."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from strongroom.accounts import AccountService, PasswordPolicy, UserSummary
from strongroom.cli.options import open_state, state_options
from strongroom.cli.rows import print_rows
from strongroom.tokens import TokenService

_COLUMNS = ("user", "email", "status", "created")


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
    changed = _accounts(data_dir, config_file).set_active(username, active=active)
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
