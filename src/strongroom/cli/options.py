"""Options every command shares: where the index keeps its state."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from strongroom.cli.state import open_index
from strongroom.config import Settings, load_settings
from strongroom.db.engine import Database

F = TypeVar("F", bound=Callable[..., Any])


def state_options(command: F) -> F:
    """Add ``--data-dir`` and ``--config`` to a command."""
    command = click.option(
        "--config", "config_file", type=click.Path(path_type=Path, dir_okay=False, exists=True),
        help="A TOML settings file.",
    )(command)
    return click.option(
        "--data-dir", type=click.Path(path_type=Path, file_okay=False),
        help="Where the index keeps its state (default ./strongroom-data; "
             "env STRONGROOM_DATA_DIR).",
    )(command)


def settings_from(data_dir: Path | None, config_file: Path | None, **overrides: object) -> Settings:
    """Settings from the shared options, the environment and command-specific overrides."""
    return load_settings(config_file, overrides={"data_dir": data_dir, **overrides})


def open_state(data_dir: Path | None, config_file: Path | None, *, create: bool = False
               ) -> tuple[Settings, Database]:
    """The settings and the migrated database of the index the shared options name: an
    existing one (NoIndex when there is none), or with ``create`` one made where missing
    (``cli/state.py``)."""
    settings = settings_from(data_dir, config_file)
    return settings, open_index(settings, create=create)
