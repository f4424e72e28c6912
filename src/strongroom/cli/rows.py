"""Lists for people and for scripts: a rich table on a terminal, else one tab-separated line
per row. Runs of whitespace inside a cell (tabs, newlines) become one space, so a row stays one
line and a cell one field."""

from __future__ import annotations

from collections.abc import Sequence

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text


def print_rows(title: str, columns: Sequence[str], rows: Sequence[Sequence[str]], *,
               empty: str) -> None:
    """Print ``rows`` under ``columns``; with no rows, say ``empty`` on standard error. An
    empty cell shows as ``-``."""
    rows = [[" ".join(cell.split()) or "-" for cell in row] for row in rows]
    console = Console()
    if not rows:
        click.echo(empty, err=True)
    elif console.is_terminal:
        table = Table(title=title)
        for heading in columns:
            table.add_column(heading, overflow="fold")
        for row in rows:
            # As Text: what users typed is shown as written, never read as rich markup.
            table.add_row(*map(Text, row))
        console.print(table)
    else:
        for row in rows:
            click.echo("\t".join(row))
