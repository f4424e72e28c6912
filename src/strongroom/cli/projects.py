"""``strongroom admin project``: create a project for its owner, set its limits, show it."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import click

from strongroom.cli.options import open_state, state_options
from strongroom.cli.sizes import DEFAULT, Default, LimitSize
from strongroom.config import format_size
from strongroom.index import commit_hook
from strongroom.projects import KEEP, Keep, ProjectService, ProjectSummary

_ACTOR = "admin"


def _service(data_dir: Path | None, config_file: Path | None) -> ProjectService:
    settings, db = open_state(data_dir, config_file)
    return ProjectService(db, settings.limits, on_commit=commit_hook(settings))


@click.group()
def project() -> None:
    """Manage projects: create one for its owner, set its limits, show it."""


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
    """Show a project: owners, maintainers, status, releases, total size and limits."""
    summary = _service(data_dir, config_file).summary(name)
    lines = [
        f"name: {summary.name}",
        f"status: {summary.status}",
        f"created: {summary.created:%Y-%m-%d %H:%M:%S} UTC",
        f"owners: {', '.join(summary.owners) or '-'}",
        f"maintainers: {', '.join(summary.maintainers) or '-'}",
        f"releases: {summary.releases} ({summary.files} files)",
        f"total size: {_size(summary.total_size)}",
        *_limit_lines(summary),
    ]
    for line in lines:
        click.echo(line)


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
