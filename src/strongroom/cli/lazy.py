"""A command group whose subcommands are imported when they run, not when the program starts.

``strongroom audit`` and ``strongroom verify`` are clients people run in CI: they should not
pay for importing the server, the database layer and every admin command (about a second) to
check a requirements file.
"""

from __future__ import annotations

import importlib

import click


class LazyGroup(click.Group):
    """A click group that knows its subcommands by ``"module:attribute"``, imported on use."""

    def __init__(self, *args: object, lazy: dict[str, str], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self._lazy:
            return super().get_command(ctx, cmd_name)
        module, _, attribute = self._lazy[cmd_name].partition(":")
        command = getattr(importlib.import_module(module), attribute)
        if not isinstance(command, click.Command):
            raise TypeError(f"{self._lazy[cmd_name]} is not a click command")
        return command
