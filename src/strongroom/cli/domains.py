"""``strongroom admin check-email-domains``: un-verify addresses whose domain no longer
receives mail, so that no password reset goes to whoever registers a lapsed domain again."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from strongroom.accounts import (
    DomainChecker,
    DomainReport,
    DomainResult,
    DomainStatus,
    EmailDomainService,
    TooManyUnreachable,
)
from strongroom.cli.options import open_state, state_options
from strongroom.cli.rows import print_rows

_COLUMNS = ("domain", "status", "reason", "addresses")
_SHOWN_ADDRESSES = 5  # a cell names this many addresses, then counts the rest


@click.command("check-email-domains")
@click.option("--dry-run", is_flag=True, help="Only report; un-verify nothing.")
@click.option("--force", is_flag=True,
              help="Un-verify even when more domains cannot receive mail than "
                   "lapsed_domains_ceiling allows in one run (check them first).")
@state_options
def check_email_domains(dry_run: bool, force: bool, data_dir: Path | None,
                        config_file: Path | None) -> None:
    """Un-verify every verified e-mail address whose domain DNS says cannot receive mail (no
    such domain, a null MX, or no MX, A or AAAA record); password resets go only to verified
    addresses. A domain DNS does not answer for (timeout, SERVFAIL) is reported as unknown
    and changes nothing. Lists the unreachable and unknown domains; run it daily.

    Nothing is checked unless the resolver finds that a canary domain (dns_canaries) receives
    mail and denies it of none (exit 6), and nothing changes when more domains cannot receive
    mail than lapsed_domains_ceiling allows, unless --force (exit 5)."""
    settings, db = open_state(data_dir, config_file)
    checker = DomainChecker(settings.dns_nameservers, timeout=settings.dns_timeout)
    console = Console(stderr=True)
    with Progress(TextColumn("checking e-mail domains"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True,
                  disable=not console.is_terminal) as progress:
        task = progress.add_task("domains", total=None)
        try:
            report = EmailDomainService(db).check_email_domains(
                checker, now=dt.datetime.now(dt.UTC), canaries=settings.dns_canary_domains,
                ceiling=settings.lapsed_domains_ceiling, force=force, dry_run=dry_run,
                progress=lambda done, total: progress.update(task, completed=done,
                                                             total=total))
        except TooManyUnreachable as refused:
            _print_problems(refused.report)
            click.echo("Check these domains; if they have lapsed, run again with --force.",
                       err=True)
            raise
    _print_problems(report)
    verb = "would be un-verified (dry run)" if dry_run else "un-verified"
    click.echo(f"{len(report.results)} domain(s) checked, {report.unverified} address(es) "
               f"{verb}, {len(report.having(DomainStatus.UNKNOWN))} unknown", err=True)
    if dry_run and report.over_ceiling:
        click.echo(f"More than {report.allowed} domain(s) cannot receive mail "
                   "(lapsed_domains_ceiling): a run would change nothing without --force.",
                   err=True)


def _print_problems(report: DomainReport) -> None:
    if report.problems:
        print_rows("E-mail domains that cannot receive mail, or did not answer", _COLUMNS,
                   [_row(result) for result in report.problems], empty="")


def _row(result: DomainResult) -> tuple[str, ...]:
    addresses = list(result.addresses[:_SHOWN_ADDRESSES])
    if len(result.addresses) > _SHOWN_ADDRESSES:
        addresses.append(f"and {len(result.addresses) - _SHOWN_ADDRESSES} more")
    return (result.verdict.domain, result.verdict.status.value, result.verdict.reason,
            ", ".join(addresses))
