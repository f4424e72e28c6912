"""``strongroom admin vulns``: import OSV advisories (file, directory, zip or URL), keep a
feed in sync, and look at what is stored."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from rich.text import Text

from strongroom.cli.durations import Duration
from strongroom.cli.options import open_state, state_options
from strongroom.cli.rows import print_rows
from strongroom.config import Settings
from strongroom.db.engine import Database
from strongroom.errors import StrongroomError
from strongroom.index import commit_hook
from strongroom.vulns import (
    FeedState,
    ImportReport,
    VulnerabilityStore,
    download,
    import_readings,
    is_url,
    list_for_project,
    list_records,
    open_path,
    package_rows,
    stored_record,
    sync_feed,
    zip_of,
)

ACTOR = "strongroom admin"


class RecordsRefused(StrongroomError):
    """With --strict: some records were refused (the rest were imported)."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


@click.group()
def vulns() -> None:
    """Import OSV vulnerability records and look at them."""


def _store(settings: Settings, db: Database) -> VulnerabilityStore:
    return VulnerabilityStore(db, on_commit=commit_hook(settings), clock=_now)


@contextmanager
def _progress(console: Console, what: str) -> Iterator[Callable[[int], Callable[[int], None]]]:
    """A progress bar on standard error; yields ``start(total) -> advance(count)``."""
    columns = (TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        def start(total: int) -> Callable[[int], None]:
            task = progress.add_task(what, total=total)
            return lambda count: progress.advance(task, count)
        yield start


def _summary(console: Console, where: str, report: ImportReport) -> None:
    """The counts as a table on a terminal, else one line; then every refusal in whole."""
    counts = {**report.counts, "warnings": len(report.warnings)}
    if console.is_terminal:
        table = Table(title=f"Imported from {where}")
        for heading in counts:
            table.add_column(heading, justify="right")
        table.add_row(*(str(n) for n in counts.values()))
        console.print(table)
    else:
        console.print(" ".join(f"{k}={v}" for k, v in counts.items()), markup=False,
                      highlight=False)
    if report.journaled:
        console.print(f"{report.journaled} journal entries (last serial {report.serial})",
                      markup=False, highlight=False)
    for note in report.refusals:
        console.print(Text(f"refused {note}"), soft_wrap=True)


@vulns.command("import")
@click.argument("location", metavar="FILE_DIR_ZIP_OR_URL")
@click.option("--strict", is_flag=True, help="Exit non-zero when a record was refused.")
@click.option("--warnings", "show_warnings", is_flag=True,
              help="Print each record's warnings (ranges left out).")
@state_options
def import_vulns(location: str, strict: bool, show_warnings: bool, data_dir: Path | None,
                 config_file: Path | None) -> None:
    """Import OSV records: a zip of <ID>.json (osv.dev's PyPI/all.zip), a directory of .json /
    .yaml / .yml records, one record, or an http(s) URL of a zip. A copy replaces the stored
    one only when its `modified` is newer; malformed records are refused, by file and field,
    and the rest imported."""
    settings, db = open_state(data_dir, config_file)
    store = _store(settings, db)
    console = Console(stderr=True)
    fetched = download(location) if is_url(location) else None
    try:
        source = zip_of(location, fetched) if fetched else open_path(Path(location))
        with _progress(console, "importing") as start:
            report = import_readings(store, source, source=source.name, actor=ACTOR,
                                     progress=start(source.total))
    finally:
        if fetched is not None and fetched.file is not None:
            fetched.file.close()
    _summary(console, source.name, report)
    if show_warnings:
        for note in report.warnings:
            console.print(Text(f"warning {note}"), soft_wrap=True)
    if strict and report.refusals:
        raise RecordsRefused(f"{len(report.refusals)} of {report.records} record(s) refused")


@vulns.command("sync")
@click.argument("url")
@click.option("--every", type=Duration(), help="Sync again after this long, until stopped "
                                              "(e.g. 1h); without it, sync once.")
@click.option("--once", is_flag=True, help="Sync once even when --every is given.")
@state_options
def sync_vulns(url: str, every: dt.timedelta | None, once: bool, data_dir: Path | None,
               config_file: Path | None) -> None:
    """Import the zip at URL when it changed since the last sync (ETag / Last-Modified sent
    back: a 304 imports nothing). With --every, repeat; a failed round is reported and the
    next one tried."""
    settings, db = open_state(data_dir, config_file)
    store, state = _store(settings, db), FeedState(db, _now)
    console = Console(stderr=True)
    while True:
        try:
            with _progress(console, "syncing") as start:
                result = sync_feed(url, store, state, progress_for=start)
        except StrongroomError as error:
            if once or every is None:
                raise
            console.print(Text(f"sync of {url} failed: {error.message}"))
        else:
            if result.report is None:
                console.print(Text(f"{url}: not modified since the last sync"))
            else:
                _summary(console, url, result.report)
        if once or every is None:
            return
        time.sleep(every.total_seconds())


@vulns.command("show")
@click.argument("record_id", metavar="ID")
@state_options
def show_vuln(record_id: str, data_dir: Path | None, config_file: Path | None) -> None:
    """Print a stored record (its OSV JSON as stored) on standard output, and on standard
    error where it came from and the packages it names."""
    _settings, db = open_state(data_dir, config_file)
    record, source = stored_record(db, record_id)
    click.echo(record)
    click.echo(f"source: {source}", err=True)
    for name, ranges in package_rows(db, record_id):
        click.echo(f"package {name}: {ranges}", err=True)


_COLUMNS = ("id", "modified", "withdrawn", "aliases", "packages", "summary")
_PROJECT_COLUMNS = ("id", "modified", "withdrawn", "aliases", "affected releases", "fixed in",
                    "summary")


@vulns.command("list")
@click.option("--project", help="Only the records naming this package, with the releases of "
                                "it on this index that each affects.")
@state_options
def list_vulns(project: str | None, data_dir: Path | None, config_file: Path | None) -> None:
    """List stored records: a table on a terminal, else tab-separated lines."""
    _settings, db = open_state(data_dir, config_file)
    if project is None:
        print_rows("Vulnerability records", _COLUMNS, [
            (s.id, _when(s.modified), _when(s.withdrawn), " ".join(s.aliases),
             " ".join(s.packages), s.summary or "") for s in list_records(db)],
            empty="no vulnerability records")
        return
    print_rows(f"Vulnerability records of {project}", _PROJECT_COLUMNS, [
        (s.id, _when(s.modified), _when(s.withdrawn), " ".join(s.aliases),
         " ".join(s.affects), " ".join(s.fixed_in), s.summary or "")
        for s in list_for_project(db, project)],
        empty=f"no vulnerability records for {project!r}")


def _when(moment: dt.datetime | None) -> str:
    return "" if moment is None else f"{moment:%Y-%m-%d %H:%M:%S}"

