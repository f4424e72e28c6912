"""``strongroom admin import``: publish distributions from local disk, with progress."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from strongroom.accounts import AccountService
from strongroom.cli.options import open_state, state_options
from strongroom.errors import StrongroomError
from strongroom.index import commit_hook
from strongroom.rendering import ReadmeSandbox
from strongroom.storage import open_blob_store
from strongroom.tokens import Identity, TokenService
from strongroom.upload import UploadService


class ImportFailed(StrongroomError):
    """Some files were refused; the rest were imported."""


def _distributions(paths: tuple[Path, ...]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        candidates = sorted(path.rglob("*")) if path.is_dir() else [path]
        found += [p for p in candidates
                  if p.is_file() and p.name.endswith((".whl", ".tar.gz", ".zip"))]
    return found


@click.command("import")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(path_type=Path, exists=True))
@click.option("--user", "username", required=True,
              help="Who publishes: becomes owner of new projects; needs a role on existing ones.")
@state_options
def import_command(paths: tuple[Path, ...], username: str, data_dir: Path | None,
                   config_file: Path | None) -> None:
    """Publish wheels and sdists from files or directories, validating each like an upload."""
    settings, db = open_state(data_dir, config_file)
    user = AccountService(db).get_user(username)
    identity = Identity(user_id=user.id, username=user.username, token_id=None)
    readmes = ReadmeSandbox(timeout=settings.readme_timeout)
    service = UploadService(db, open_blob_store(settings), TokenService(db), settings.limits,
                            render=readmes, on_commit=commit_hook(settings))
    files = _distributions(paths)
    imported, present, refused = 0, 0, []
    console = Console(stderr=True)
    columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("import", total=len(files))
        try:
            for path in files:
                try:
                    outcome = service.import_file(path, identity=identity)
                except StrongroomError as error:
                    refused.append((path.name, error.message))
                else:
                    imported += outcome.serial is not None
                    present += outcome.serial is None
                progress.advance(task)
        finally:
            readmes.close()
    console.print(f"imported {imported}, already present {present}, refused {len(refused)}")
    if refused:
        table = Table("file", "why it was refused", title="Refused files")
        for name, why in refused:
            table.add_row(name, why)
        console.print(table)
        raise ImportFailed(f"{len(refused)} of {len(files)} file(s) refused")
