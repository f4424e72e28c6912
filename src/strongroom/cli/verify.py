"""``strongroom verify NAME==VERSION --index URL``: who built each file of a release an index
serves, checked here (README "Verifying provenance").

Exit codes: 0 every file verified; 1 a file did not (its digest differs from the page's, its
provenance does not verify, is linked but not served, or is missing without
``--allow-missing``), the table and the error line saying which and why; the CLI's own codes
when the release cannot be read: 2 bad arguments or an answer that is not PEP 691's, 3 the
index refuses the credentials, 4 no such project or version, 6 the index cannot be reached.
"""

from __future__ import annotations

import functools
from pathlib import Path

import click
from packaging.version import InvalidVersion, Version
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TransferSpeedColumn,
)

from strongroom.attestations import (
    AttestationVerifier,
    Outcome,
    ReleaseReader,
    Verdict,
    check,
)
from strongroom.cli.rows import print_rows
from strongroom.domain.names import is_valid_project_name
from strongroom.errors import StrongroomError

_COLUMNS = ("file", "publisher", "repository", "workflow", "environment", "attests",
            "verdict")
# PyPI's two predicate types, as the table names them.
_PREDICATES = {"https://docs.pypi.org/attestations/publish/v1": "publish/v1",
               "https://slsa.dev/provenance/v1": "SLSA provenance/v1"}


class NotVerified(StrongroomError):
    """Some file of the release did not verify (exit 1)."""


def _requirement(_ctx: click.Context, _param: click.Parameter, value: str
                 ) -> tuple[str, Version]:
    """NAME==VERSION, the name valid and the version PEP 440's."""
    name, equals, version = value.partition("==")
    if not equals or not is_valid_project_name(name.strip()):
        raise click.BadParameter(f"{value!r} is not NAME==VERSION")
    try:
        return name.strip(), Version(version.strip())
    except InvalidVersion:
        raise click.BadParameter(f"{version.strip()!r} is not a version (PEP 440)") from None


def _rows(verdict: Verdict, *, allow_missing: bool) -> list[list[str]]:
    """The table's rows for one file: one per verified bundle, else one with its verdict."""
    name = verdict.file.filename
    if verdict.outcome is Outcome.VERIFIED:
        return [[name, bundle.kind, bundle.repository, bundle.workflow,
                 f"{bundle.environment} (index's word)" if bundle.environment else "",
                 ", ".join(_PREDICATES.get(p, p) for p in bundle.predicate_types), "verified"]
                for bundle in verdict.bundles]
    said = ("no provenance (allowed)" if allow_missing else "NOT VERIFIED: no provenance"
            ) if verdict.outcome is Outcome.MISSING else f"NOT VERIFIED: {verdict.reason}"
    return [[name, "", "", "", "", "", said]]


def _failure(verdict: Verdict, *, allow_missing: bool) -> str | None:
    """Why ``verdict`` fails the command, or None when it does not."""
    if verdict.outcome is Outcome.FAILED:
        return verdict.reason
    if verdict.outcome is Outcome.MISSING and not allow_missing:
        return "the index links no provenance for it (--allow-missing accepts that)"
    return None


@click.command("verify")
@click.argument("requirement", metavar="NAME==VERSION", callback=_requirement)
@click.option("--index", "index_url", required=True, metavar="URL",
              help="The simple index, as pip's --index-url: https://HOST/simple/ "
                   "(credentials may be in it: https://__token__:TOKEN@HOST/simple/).")
@click.option("--token", envvar="STRONGROOM_INDEX_TOKEN", metavar="TOKEN",
              help="An API token for a private index (env STRONGROOM_INDEX_TOKEN, which keeps "
                   "it out of the process list).")
@click.option("--trusted-root", type=click.Path(path_type=Path, dir_okay=False, exists=True),
              help="A Sigstore trusted_root.json to verify against (default: the production "
                   "root sigstore ships), as the server's attestation_trusted_root.")
@click.option("--allow-missing", is_flag=True,
              help="Accept files the index links no provenance for (their digests are still "
                   "checked); without it such a file fails the command.")
@click.option("--timeout", type=click.FloatRange(min=0.1, max=3600), default=30.0,
              show_default=True, metavar="SECONDS",
              help="Seconds any request may go without a byte.")
def verify(requirement: tuple[str, Version], index_url: str, token: str | None,
           trusted_root: Path | None, allow_missing: bool, timeout: float) -> None:
    """Download every file of release NAME==VERSION from an index, check each against the
    sha256 its simple page gives, and verify every PEP 740 attestation of its provenance
    offline against the publisher named in it; print who built what."""
    project, version = requirement
    verifier = AttestationVerifier(trusted_root)
    console = Console(stderr=True)
    verdicts: list[Verdict] = []
    with ReleaseReader(index_url, token=token, timeout=timeout) as reader:
        files = reader.files(project, version)
        columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(),
                   TransferSpeedColumn())
        with Progress(*columns, console=console, transient=True) as progress:
            for listed in files:
                task = progress.add_task(listed.filename, total=listed.size)
                verdicts.append(check(reader, verifier, listed,
                                      functools.partial(progress.advance, task)))
    rows = [row for verdict in verdicts for row in _rows(verdict, allow_missing=allow_missing)]
    print_rows(f"{project} {version} at {reader.index_url}", _COLUMNS, rows, empty="")
    failures = [(v.file.filename, why) for v in verdicts
                if (why := _failure(v, allow_missing=allow_missing)) is not None]
    verified = sum(v.outcome is Outcome.VERIFIED for v in verdicts)
    console.print(f"{verified} of {len(verdicts)} file(s) of {project} {version} verified",
                  highlight=False)
    if failures:
        raise NotVerified(f"{len(failures)} of {len(verdicts)} file(s) of {project} {version} "
                          "not verified: "
                          + "; ".join(f"{name}: {why}" for name, why in failures))
