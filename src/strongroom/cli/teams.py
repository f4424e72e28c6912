"""``strongroom admin team``: teams (named groups of users), their members, and the roles they
hold in projects, which let every member upload there."""

from __future__ import annotations

from pathlib import Path

import click

from strongroom.cli.options import open_state, state_options
from strongroom.cli.projects import ADMIN, ROLE_CHOICE
from strongroom.cli.rows import print_rows
from strongroom.index import commit_hook
from strongroom.projects import TeamService

_ACTOR = "admin"


def _teams(data_dir: Path | None, config_file: Path | None) -> TeamService:
    settings, db = open_state(data_dir, config_file)
    return TeamService(db, on_commit=commit_hook(settings))


@click.group()
def team() -> None:
    """Manage teams: their members and their roles in projects."""


@team.command("create")
@click.argument("name")
@state_options
def team_create(name: str, data_dir: Path | None, config_file: Path | None) -> None:
    """Make an empty team (names are unique without regard to case)."""
    _teams(data_dir, config_file).create(name, actor=_ACTOR)
    click.echo(f"created team {name}", err=True)


@team.command("delete")
@click.argument("name")
@state_options
def team_delete(name: str, data_dir: Path | None, config_file: Path | None) -> None:
    """Delete a team, its roles in projects (each journaled) and its memberships."""
    gone = _teams(data_dir, config_file).delete(name, actor=_ACTOR)
    click.echo(f"deleted team {gone.name} ({len(gone.members)} member(s), "
               f"{len(gone.roles)} role(s))", err=True)


@team.command("add-member")
@click.argument("name")
@click.argument("username")
@state_options
def team_add_member(name: str, username: str, data_dir: Path | None,
                    config_file: Path | None) -> None:
    """Add a user to a team."""
    added = _teams(data_dir, config_file).add_member(name, username, actor=_ACTOR)
    click.echo(f"{username} {'joined' if added else 'was already in'} team {name}", err=True)


@team.command("remove-member")
@click.argument("name")
@click.argument("username")
@state_options
def team_remove_member(name: str, username: str, data_dir: Path | None,
                       config_file: Path | None) -> None:
    """Remove a user from a team."""
    _teams(data_dir, config_file).remove_member(name, username, actor=_ACTOR)
    click.echo(f"{username} left team {name}", err=True)


@team.command("list")
@state_options
def team_list(data_dir: Path | None, config_file: Path | None) -> None:
    """Every team: a table on a terminal, else one tab-separated line each of team, members
    (comma-separated) and roles (``Owner of demo``, comma-separated)."""
    print_rows("Teams", ("team", "members", "roles"),
               [(t.name, ", ".join(t.members), ", ".join(f"{r} of {p}" for p, r in t.roles))
                for t in _teams(data_dir, config_file).teams()],
               empty="no teams yet (strongroom admin team create)")


@team.command("grant")
@click.argument("name")
@click.argument("project")
@click.argument("role", metavar="Owner|Maintainer", type=ROLE_CHOICE)
@state_options
def team_grant(name: str, project: str, role: str, data_dir: Path | None,
               config_file: Path | None) -> None:
    """Give a team a role in a project (or change its role there): every member may upload."""
    serial = _teams(data_dir, config_file).grant(name, project, role, by=ADMIN)
    click.echo(f"team {name} is {role} of {project}" + ("" if serial else " already"), err=True)


@team.command("revoke")
@click.argument("name")
@click.argument("project")
@state_options
def team_revoke(name: str, project: str, data_dir: Path | None,
                config_file: Path | None) -> None:
    """Take a team's role in a project away."""
    _teams(data_dir, config_file).revoke(name, project, by=ADMIN)
    click.echo(f"team {name} has no role in {project} any more", err=True)
