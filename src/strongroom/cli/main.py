"""The command group and its one error boundary: Strongroom errors become a message and an exit
code, never a traceback."""

from __future__ import annotations

import sys

import click
from rich.console import Console
from rich.markup import escape

from strongroom.cli.errors import describe
from strongroom.cli.lazy import LazyGroup
from strongroom.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    NotFound,
    StrongroomError,
    Unavailable,
)

_EXIT_CODES: list[tuple[type[StrongroomError], int]] = [
    (InvalidInput, 2),
    (NotAuthenticated, 3),
    (Forbidden, 3),
    (NotFound, 4),
    (Conflict, 5),
    (Unavailable, 6),
]


@click.group(cls=LazyGroup, lazy={
    "serve": "strongroom.cli.serve:serve",
    "admin": "strongroom.cli.admin:admin",
    "verify": "strongroom.cli.verify:verify",
    "audit": "strongroom.cli.audit:audit_command",
})
@click.version_option(package_name="strongroom")
def cli() -> None:
    """Strongroom: a secure, PyPI-compatible Python package index."""


def exit_code(error: StrongroomError) -> int:
    """The process exit code for an error (1 for anything not listed)."""
    return next((code for kind, code in _EXIT_CODES if isinstance(error, kind)), 1)


def main() -> None:
    """Run the command line; Strongroom errors print as ``error: ...`` and exit non-zero."""
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except StrongroomError as error:
        Console(stderr=True).print(f"[bold red]error:[/] {escape(describe(error))}",
                                   highlight=False, soft_wrap=True)
        sys.exit(exit_code(error))
