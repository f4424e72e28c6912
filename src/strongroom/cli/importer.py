"""``strongroom admin import``: publish distributions from local disk, with progress."""

from __future__ import annotations

from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from strongroom.accounts import AccountService
from strongroom.attestations import AttestationVerifier
from strongroom.cli.errors import about
from strongroom.cli.options import open_state, state_options
from strongroom.domain.filenames import SDIST_EXTENSIONS
from strongroom.domain.principals import Principal, PrincipalKind
from strongroom.domain.rules import POLICIES
from strongroom.errors import StrongroomError, UploadRejected
from strongroom.index import commit_hook
from strongroom.rendering import ReadmeSandbox
from strongroom.storage import open_blob_store
from strongroom.tokens import TokenService
from strongroom.upload import UploadService

# What a refusal's row need not repeat: its file is the row's, and the principal the --user.
_SHOWN = frozenset({"filename", "principal"})


class ImportFailed(StrongroomError):
    """Some files were refused; the rest were imported."""


def _distributions(paths: tuple[Path, ...]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        candidates = sorted(path.rglob("*")) if path.is_dir() else [path]
        found += [p for p in candidates
                  if p.is_file() and p.name.endswith((".whl", *SDIST_EXTENSIONS))]
    return found


def _show_refusals(console: Console, refused: list[tuple[str, str, str]]) -> None:
    """Every refusal in whole: a table on a terminal (long messages fold within their cell),
    else one line each, which a log keeps intact and grep finds."""
    if not console.is_terminal:
        for name, rule, why in refused:
            console.print(f"refused {name} [{rule or '-'}] {why}", soft_wrap=True,
                          markup=False, highlight=False)
        return
    table = Table(title="Refused files")
    for heading in ("file", "rule", "why it was refused"):
        table.add_column(heading, overflow="fold")
    for name, rule, why in refused:
        table.add_row(name, rule or "-", why)
    console.print(table)


@click.command("import")
@click.argument("paths", nargs=-1, required=True,
                type=click.Path(path_type=Path, exists=True))
@click.option("--user", "username", required=True,
              help="Who publishes: becomes owner of new projects; needs a role on existing ones.")
@click.option("--policy", "policy_name", type=click.Choice(sorted(POLICIES)), default="import",
              show_default=True,
              help="import: also take the historical forms an index has already published "
                   "(recorded on each file as warnings); upload: exactly what an upload passes.")
@state_options
def import_command(paths: tuple[Path, ...], username: str, policy_name: str,
                   data_dir: Path | None, config_file: Path | None) -> None:
    """Publish wheels and sdists from files or directories, validating each like an upload
    (with the import policy's tolerance unless --policy upload)."""
    policy = POLICIES[policy_name]
    settings, db = open_state(data_dir, config_file, create=True)
    user = AccountService(db).get_user(username)
    # An administrator on this machine, publishing for (and as the uploader) the account given.
    principal = Principal(PrincipalKind.ADMIN, name=user.username, user_id=user.id)
    readmes = ReadmeSandbox(timeout=settings.readme_timeout)
    # Provenance beside a file is verified against the index's trusted root; a flag it raises
    # goes to the security history, and no owner is mailed about what an admin imports.
    service = UploadService(db, open_blob_store(settings), TokenService(db), settings.limits,
                            render=readmes, on_commit=commit_hook(settings),
                            verifier=AttestationVerifier(settings.attestation_trusted_root))
    files = _distributions(paths)
    imported, present, warned = 0, 0, 0
    refused: list[tuple[str, str, str]] = []
    console = Console(stderr=True)
    console.print(f"policy: {policy.name}")
    columns = (TextColumn("importing"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console) as progress:
        task = progress.add_task("import", total=len(files))
        try:
            for path in files:
                try:
                    outcome = service.import_file(path, principal=principal, policy=policy)
                except UploadRejected as rejected:
                    context = about(rejected, given=_SHOWN)
                    refused += [(path.name, problem.rule, f"{problem}{context}")
                                for problem in rejected.problems]
                except StrongroomError as error:
                    refused.append((path.name, "", error.message + about(error, given=_SHOWN)))
                else:
                    imported += outcome.serial is not None
                    present += outcome.serial is None
                    warned += bool(outcome.warnings)
                progress.advance(task)
        finally:
            readmes.close()
    refused_files = len({name for name, _rule, _why in refused})
    console.print(f"imported {imported} ({warned} with warnings), already present {present}, "
                  f"refused {refused_files}")
    if refused:
        _show_refusals(console, refused)
        raise ImportFailed(f"{refused_files} of {len(files)} file(s) refused")
