"""``strongroom admin export-static``: the simple index as static files, with progress."""

from __future__ import annotations

import contextlib
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from strongroom.cli.options import settings_from, state_options
from strongroom.cli.state import open_index
from strongroom.index import open_change_feed
from strongroom.index.export import follow as export_follow
from strongroom.index.export import project_names, write_index, write_project


@click.command("export-static")
@click.argument("target", type=click.Path(path_type=Path, file_okay=False))
@state_options
@click.option("--follow", is_flag=True,
              help="After the export, keep TARGET current until interrupted: rewrite the pages "
                   "each write changes.")
@click.option("--interval", type=click.FloatRange(min=0.05), default=1.0, show_default=True,
              help="With --follow, seconds between looks at the change feed.")
def export_static_command(target: Path, data_dir: Path | None, config_file: Path | None,
                          follow: bool, interval: float) -> None:
    """Write the simple index and every project page to TARGET/simple/ as static files.

    Files are named as bandersnatch names them (index.html, index.v1_json), byte-identical to what
    the server sends; see docs/static-export.md for serving them with nginx.
    """
    settings = settings_from(data_dir, config_file)
    db = open_index(settings)
    console = Console(stderr=True)
    feed = open_change_feed(settings)
    # Changes from here on are caught by --follow, even those the full export already saw.
    since = feed.current()
    projects = project_names(db)
    columns = (TextColumn("exporting"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("export", total=len(projects))
        for project in projects:
            write_project(db, target, project, base_url=settings.public_base_url)
            progress.advance(task)
    serial = write_index(db, target)
    console.print(f"exported {len(projects)} project(s) at serial {serial} to {target / 'simple'}")
    if follow:
        console.print(f"following the change feed every {interval:g} s (Ctrl-C stops)")
        with contextlib.suppress(KeyboardInterrupt):
            for refresh in export_follow(db, feed, target, since, interval=interval,
                                         base_url=settings.public_base_url):
                removed = f", removed {', '.join(refresh.removed)}" if refresh.removed else ""
                console.print(f"serial {refresh.serial}: rewrote {len(refresh.rewritten)} "
                              f"project page(s) and the root page{removed}")
    db.dispose()
