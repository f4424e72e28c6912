"""``strongroom admin check-email-domains``: un-verify addresses whose domain no longer
receives mail, so that no password reset goes to whoever registers a lapsed domain again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from strongroom.accounts import DomainChecker, DomainResult, DomainStatus, EmailDomainService
from strongroom.cli.options import open_state, state_options
from strongroom.cli.rows import print_rows

_COLUMNS = ("domain", "status", "reason", "addresses")
_SHOWN_ADDRESSES = 5  # a cell names this many addresses, then counts the rest


@click.command("check-email-domains")
@click.option("--dry-run", is_flag=True, help="Only report; un-verify nothing.")
@state_options
def check_email_domains(dry_run: bool, data_dir: Path | None, config_file: Path | None) -> None:
    """Un-verify every verified e-mail address whose domain DNS says cannot receive mail (no
    such domain, a null MX, or no MX, A or AAAA record); password resets go only to verified
    addresses. A domain DNS does not answer for (timeout, SERVFAIL) is reported as unknown
    and changes nothing. Lists the unreachable and unknown domains; run it daily."""
    settings, db = open_state(data_dir, config_file)
    checker = DomainChecker(settings.dns_nameservers, timeout=settings.dns_timeout)
    console = Console(stderr=True)
    with Progress(TextColumn("checking e-mail domains"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True,
                  disable=not console.is_terminal) as progress:
        task = progress.add_task("domains", total=None)
        report = EmailDomainService(db).check_email_domains(
            checker, now=dt.datetime.now(dt.UTC), dry_run=dry_run,
            progress=lambda done, total: progress.update(task, completed=done, total=total))
    if report.problems:
        print_rows("E-mail domains that cannot receive mail, or did not answer", _COLUMNS,
                   [_row(result) for result in report.problems], empty="")
    verb = "would be un-verified (dry run)" if dry_run else "un-verified"
    click.echo(f"{len(report.results)} domain(s) checked, {report.unverified} address(es) "
               f"{verb}, {len(report.having(DomainStatus.UNKNOWN))} unknown", err=True)


def _row(result: DomainResult) -> tuple[str, ...]:
    addresses = list(result.addresses[:_SHOWN_ADDRESSES])
    if len(result.addresses) > _SHOWN_ADDRESSES:
        addresses.append(f"and {len(result.addresses) - _SHOWN_ADDRESSES} more")
    return (result.verdict.domain, result.verdict.status.value, result.verdict.reason,
            ", ".join(addresses))
