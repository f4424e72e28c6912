"""``strongroom admin project``: create a project for its owner, set its limits, show it, and
its roles and invitations (as the local administrator, who may do what an Owner may)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Literal

import click

from strongroom.cli.options import open_state, state_options
from strongroom.cli.rows import print_rows
from strongroom.cli.sizes import DEFAULT, Default, LimitSize
from strongroom.config import format_size
from strongroom.domain.principals import Principal, PrincipalKind
from strongroom.index import commit_hook
from strongroom.projects import (
    KEEP,
    ROLES,
    InvitationService,
    Keep,
    ProjectService,
    ProjectSummary,
    RoleService,
)

_ACTOR = "admin"
ADMIN = Principal(PrincipalKind.ADMIN, _ACTOR)
ROLE_CHOICE = click.Choice(ROLES, case_sensitive=False)


def _service(data_dir: Path | None, config_file: Path | None) -> ProjectService:
    settings, db = open_state(data_dir, config_file)
    return ProjectService(db, settings.limits, on_commit=commit_hook(settings))


def _roles(data_dir: Path | None, config_file: Path | None) -> RoleService:
    settings, db = open_state(data_dir, config_file)
    return RoleService(db, on_commit=commit_hook(settings))


def _invitations(data_dir: Path | None, config_file: Path | None) -> InvitationService:
    settings, db = open_state(data_dir, config_file)
    return InvitationService(db, on_commit=commit_hook(settings))


@click.group()
def project() -> None:
    """Manage projects: create one for its owner, set its limits, show it, its roles and
    invitations."""


@project.command("create")
@click.argument("name")
@click.option("--owner", required=True, help="The user who becomes the project's Owner.")
@state_options
def project_create(name: str, owner: str, data_dir: Path | None,
                   config_file: Path | None) -> None:
    """Create an empty project owned by a user (who may then upload to it, for example after
    its limits were raised for a first file over the defaults)."""
    _service(data_dir, config_file).create(name, owner=owner, actor=_ACTOR)
    click.echo(f"created project {name}, owned by {owner}", err=True)


@project.command("limits")
@click.argument("name")
@click.option("--file-size", type=LimitSize(),
              help="Largest file, e.g. 2GiB, or 'default' for the index's default.")
@click.option("--total", type=LimitSize(),
              help="Largest total of all files, e.g. 50GiB, or 'default'.")
@state_options
def project_limits(name: str, file_size: int | Default | None, total: int | Default | None,
                   data_dir: Path | None, config_file: Path | None) -> None:
    """Set a project's own upload limits (or show them, given neither option)."""
    service = _service(data_dir, config_file)
    serial = service.set_limits(name, file_size=_change(file_size), total=_change(total),
                                actor=_ACTOR)
    summary = service.summary(name)
    for line in _limit_lines(summary):
        click.echo(line)
    if file_size is not None or total is not None:
        click.echo(f"limits of {summary.name} changed" if serial else
                   f"limits of {summary.name} were already so", err=True)


@project.command("show")
@click.argument("name")
@state_options
def project_show(name: str, data_dir: Path | None, config_file: Path | None) -> None:
    """Show a project: owners and maintainers (users, then teams), status, releases, total
    size and limits."""
    summary = _service(data_dir, config_file).summary(name)
    lines = [
        f"name: {summary.name}",
        f"status: {summary.status}",
        f"created: {summary.created:%Y-%m-%d %H:%M:%S} UTC",
        f"owners: {', '.join(summary.owners) or '-'}",
        f"maintainers: {', '.join(summary.maintainers) or '-'}",
        f"owner teams: {', '.join(summary.owner_teams) or '-'}",
        f"maintainer teams: {', '.join(summary.maintainer_teams) or '-'}",
        f"releases: {summary.releases} ({summary.files} files)",
        f"total size: {_size(summary.total_size)}",
        *_limit_lines(summary),
    ]
    for line in lines:
        click.echo(line)


@project.group("role")
def role() -> None:
    """List and change the roles users and teams hold in a project."""


@role.command("list")
@click.argument("name")
@state_options
def role_list(name: str, data_dir: Path | None, config_file: Path | None) -> None:
    """Every role in a project: a table on a terminal, else one tab-separated line each of
    holder, kind (user or team) and role."""
    holders = _roles(data_dir, config_file).roles(name)
    print_rows(f"Roles in {name}", ("holder", "kind", "role"),
               [(h.name, "team" if h.team else "user", h.role) for h in holders],
               empty=f"no roles in {name}")


@role.command("set")
@click.argument("name")
@click.argument("username")
@click.argument("new_role", metavar="Owner|Maintainer", type=ROLE_CHOICE)
@state_options
def role_set(name: str, username: str, new_role: str, data_dir: Path | None,
             config_file: Path | None) -> None:
    """Give a user a role in a project, or change theirs, without an invitation (refused
    when the project would have no user as Owner)."""
    serial = _roles(data_dir, config_file).set_role(name, username, new_role, by=ADMIN)
    click.echo(f"{username} is {new_role} of {name}" + ("" if serial else " already"), err=True)


@role.command("remove")
@click.argument("name")
@click.argument("username")
@state_options
def role_remove(name: str, username: str, data_dir: Path | None,
                config_file: Path | None) -> None:
    """Remove a user's role in a project (refused for its only user Owner)."""
    _roles(data_dir, config_file).remove_role(name, username, by=ADMIN)
    click.echo(f"removed the role of {username} in {name}", err=True)


@project.command("invite")
@click.argument("name")
@click.argument("username")
@click.option("--role", "new_role", type=ROLE_CHOICE, required=True, help="Owner or Maintainer.")
@state_options
def project_invite(name: str, username: str, new_role: str, data_dir: Path | None,
                   config_file: Path | None) -> None:
    """Invite a user to a role in a project; they accept or decline it signed in to the web
    UI. This command sends no mail."""
    sent = _invitations(data_dir, config_file).invite(name, username, new_role, by=ADMIN)
    click.echo(f"invited {sent.username} to be {sent.role} of {sent.project} until "
               f"{_when(sent.expires)}", err=True)


@project.command("uninvite")
@click.argument("name")
@click.argument("username")
@state_options
def project_uninvite(name: str, username: str, data_dir: Path | None,
                     config_file: Path | None) -> None:
    """Revoke a user's invitation to a project."""
    _invitations(data_dir, config_file).revoke(name, username, by=ADMIN)
    click.echo(f"revoked the invitation of {username} to {name}", err=True)


@project.command("invitations")
@click.option("--user", "username", help="Only this user's invitations.")
@click.option("--project", "name", help="Only the invitations to this project.")
@state_options
def project_invitations(username: str | None, name: str | None, data_dir: Path | None,
                        config_file: Path | None) -> None:
    """Invitations not yet answered: a table on a terminal, else one tab-separated line each
    of project, user, role, invited by, expires and state (open or expired)."""
    now = dt.datetime.now(dt.UTC)
    found = _invitations(data_dir, config_file).invitations(project=name, username=username)
    print_rows("Invitations", ("project", "user", "role", "invited by", "expires", "state"),
               [(i.project, i.username, i.role, i.invited_by, _when(i.expires),
                 "expired" if i.expired(now) else "open") for i in found],
               empty="no invitations")


def _when(moment: dt.datetime) -> str:
    return f"{moment:%Y-%m-%d %H:%M:%S} UTC"


def _change(option: int | Default | None) -> int | Literal[Keep.KEEP] | None:
    """What an option asks of a limit: not given, keep it; ``default``, None; else the size."""
    if option is None:
        return KEEP
    return None if option is DEFAULT else option


def _limit_lines(summary: ProjectSummary) -> list[str]:
    return [
        f"file size limit: {_limit(summary.limits.max_file_size, summary.upload_limit)}",
        f"total size limit: {_limit(summary.limits.max_project_size, summary.total_size_limit)}",
    ]


def _limit(effective: int, own: int | None) -> str:
    return format_size(effective) + (" (default)" if own is None else "")


def _size(size: int) -> str:
    """Bytes, and from 1 KiB on the size in a unit a person reads at a glance."""
    units = ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB"))
    glance = next((f" ({size / unit:.1f} {name})" for unit, name in units if size >= unit), "")
    return f"{size} bytes{glance}"
