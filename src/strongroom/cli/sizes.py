"""Sizes as people type them on the command line: ``2GiB``, ``500MB``, ``104857600``, or
``default`` for a limit that follows the index's default."""

from __future__ import annotations

import enum

import click

from strongroom.config import parse_size


class Default(enum.Enum):
    """The type of ``DEFAULT``: the word ``default`` where a size was expected."""

    DEFAULT = "default"


DEFAULT = Default.DEFAULT


class LimitSize(click.ParamType[int | Default]):
    """A click parameter type for a positive size in bytes, or ``DEFAULT``."""

    name = "size"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> int | Default:
        if isinstance(value, (int, Default)):
            return value
        text = str(value).strip()
        if text.lower() == "default":
            return DEFAULT
        try:
            return parse_size(text)
        except ValueError as exc:
            self.fail(f"{exc}, or 'default'", param, ctx)
