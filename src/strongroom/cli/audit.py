"""``strongroom audit``: are the dependencies of a project or environment affected by known
vulnerabilities? (README "Auditing dependencies: strongroom audit".)

Inputs: the environment running it (default) or ``--python``'s, ``-r`` requirements files,
and ``pyproject.toml`` / ``pylock.toml`` / ``uv.lock`` files given as arguments. Advisories:
an index's OSV API (``--index URL``, one batched query) or an OSV zip offline (``--db``).

Exit codes: 0 no vulnerability found (after ``--ignore``); 1 some found; 2 bad arguments or
input (a file that cannot be read, a URL that is not an index's); the CLI's own codes when the
index cannot be used: 3 it refuses the credentials, 6 it cannot be reached.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import TextIO

import click
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table
from rich.text import Text

from strongroom.audit import (
    COLUMNS,
    IndexSource,
    Inputs,
    OfflineDatabase,
    Report,
    audit,
    finding_row,
    installed,
    read_file,
    read_requirements,
    summary,
    to_json,
    to_markdown,
    to_sarif,
)
from strongroom.domain.osv import InvalidAdvisory
from strongroom.errors import StrongroomError

FORMATS = ("table", "json", "sarif", "markdown")
_REFUSED_SHOWN = 5


class VulnerabilitiesFound(StrongroomError):
    """The audit found vulnerabilities (exit 1)."""


def _inputs(files: tuple[Path, ...], requirements: tuple[Path, ...],
            python: Path | None) -> Inputs:
    """What the arguments name, or the environment when they name no file."""
    if python is not None and (files or requirements):
        raise click.UsageError("--python audits an environment; give it without files")
    if not files and not requirements:
        return installed(python)
    inputs = Inputs()
    for path in requirements:
        inputs.extend(read_requirements(path))
    for path in files:
        inputs.extend(read_file(path))
    return inputs


@contextlib.contextmanager
def _progress(console: Console) -> Iterator[Callable[[str], Callable[[int, int], None]]]:
    """Yields ``task(description)``, which makes a callback ``(done, total)`` showing a bar
    on standard error (transient: gone when the audit ends)."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        def task(description: str) -> Callable[[int, int], None]:
            task_id = progress.add_task(description, total=None)

            def advance(done: int, total: int) -> None:
                progress.update(task_id, completed=done, total=total)
            return advance
        yield task


def _warn_refused(console: Console, refused: list[InvalidAdvisory]) -> None:
    if not refused:
        return
    console.print(f"[yellow]warning:[/] {len(refused)} advisory record"
                  f"{'s' if len(refused) != 1 else ''} refused (not used):", highlight=False)
    for error in refused[:_REFUSED_SHOWN]:
        console.print(f"  {escape(error.message)}", highlight=False, soft_wrap=True)
    if len(refused) > _REFUSED_SHOWN:
        console.print(f"  ... and {len(refused) - _REFUSED_SHOWN} more", highlight=False)


def _warn(console: Console, report: Report) -> None:
    """What the reader should know besides the findings: skipped entries, disputes."""
    for skipped in report.skipped:
        where = escape(str(skipped.where))
        console.print(f"[yellow]not audited:[/] {escape(skipped.what)} ({where}): "
                      f"{escape(skipped.reason)}", highlight=False, soft_wrap=True)
    for finding in report.disputed:
        console.print(f"[yellow]warning:[/] the index lists {escape(finding.advisory.id)} for "
                      f"{escape(finding.dependency.name)} {escape(finding.dependency.version)}, "
                      "but its record does not affect that version; not counted",
                      highlight=False, soft_wrap=True)


def _table(console: Console, report: Report) -> None:
    """The findings (and the upgrades with --fix) as rich tables; the summary when nothing was
    found (a finding's summary is the error on stderr, said once, as pip-audit says it)."""
    if report.findings:
        table = Table(title="Known vulnerabilities")
        for heading in COLUMNS:
            table.add_column(heading, overflow="fold")
        for finding in report.findings:
            # As Text: names and ids are the input's and the records', never rich markup.
            table.add_row(*(Text(cell or "-") for cell in finding_row(finding)))
        console.print(table)
    if report.upgrades:
        table = Table(title="Smallest upgrades")
        for heading in ("package", "from", "to", "clears"):
            table.add_column(heading, overflow="fold")
        for upgrade in report.upgrades:
            table.add_row(Text(upgrade.dependency.name), Text(upgrade.dependency.version),
                          Text(upgrade.target or "no known fixed version clears them all"),
                          Text(", ".join(upgrade.clears)))
        console.print(table)
    if not report.findings:
        console.print(Text(summary(report)))


def _write(report: Report, output_format: str, out: TextIO, *, terminal: bool) -> None:
    if output_format == "table":
        _table(Console(file=out, width=None if terminal else 200, soft_wrap=False), report)
    elif output_format == "json":
        out.write(to_json(report))
    elif output_format == "sarif":
        out.write(to_sarif(report, tool_version=installed_version("strongroom")))
    else:
        out.write(to_markdown(report))


@click.command("audit")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False))
@click.option("-r", "--requirement", "requirements", multiple=True, metavar="FILE",
              type=click.Path(path_type=Path, dir_okay=False),
              help="A requirements file in pip's syntax (repeatable). Files given as "
                   "arguments are read by name: pyproject.toml, pylock.toml, uv.lock, or "
                   "else as requirements files.")
@click.option("--python", type=click.Path(path_type=Path, dir_okay=False), metavar="PATH",
              help="Audit the environment of this interpreter (default, with no files: the "
                   "one running strongroom).")
@click.option("--index", "index_url", metavar="URL",
              help="Ask this index's OSV API (its base URL, https://HOST/; credentials may "
                   "be in it).")
@click.option("--token", envvar="STRONGROOM_INDEX_TOKEN", metavar="TOKEN",
              help="An API token for a private index (env STRONGROOM_INDEX_TOKEN).")
@click.option("--db", type=click.Path(path_type=Path, dir_okay=False), metavar="FILE",
              help="Read advisories offline from an OSV zip (such as osv.dev's PyPI/all.zip).")
@click.option("--format", "output_format", type=click.Choice(FORMATS), default="table",
              show_default=True, help="How to write the report.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False),
              metavar="FILE", help="Write the report to FILE instead of standard output.")
@click.option("--fix", is_flag=True,
              help="Also work out the smallest upgrade of each vulnerable package that "
                   "clears all its advisories.")
@click.option("--ignore", multiple=True, metavar="ID",
              help="Set aside an advisory by id or alias (repeatable).")
@click.option("--timeout", type=click.FloatRange(min=0.1, max=3600), default=30.0,
              show_default=True, metavar="SECONDS",
              help="Seconds any request to the index may go without a byte.")
def audit_command(files: tuple[Path, ...], requirements: tuple[Path, ...],
                  python: Path | None, index_url: str | None, token: str | None,
                  db: Path | None, output_format: str, output: Path | None, fix: bool,
                  ignore: tuple[str, ...], timeout: float) -> None:
    """Check dependencies against known vulnerabilities: the current environment by default,
    or FILES (pyproject.toml, pylock.toml, uv.lock, requirements files) and -r files."""
    if (index_url is None) == (db is None):
        raise click.UsageError("give one source of advisories: --index URL or --db FILE")
    console = Console(stderr=True)
    inputs = _inputs(files, requirements, python)
    with _progress(console) as task:
        if db is not None:
            database = OfflineDatabase(db, advance=task(f"reading {db.name}"))
            _warn_refused(console, database.refused)
            report = audit(inputs.unique(), inputs.skipped, database, ignore=ignore, fix=fix)
        else:
            with IndexSource(str(index_url), token=token, timeout=timeout,
                             advance=task("reading advisories")) as index:
                report = audit(inputs.unique(), inputs.skipped, index, ignore=ignore, fix=fix)
            _warn_refused(console, index.refused)
    _warn(console, report)
    if output is None:
        _write(report, output_format, sys.stdout, terminal=Console().is_terminal)
    else:
        try:
            with output.open("w", encoding="utf-8") as out:
                _write(report, output_format, out, terminal=False)
        except OSError as exc:
            raise click.UsageError(f"--output {output}: cannot be written ({exc.strerror})"
                                   ) from None
    if report.findings:
        raise VulnerabilitiesFound(summary(report))
