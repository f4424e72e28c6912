"""Durations as people type them: ``90m``, ``12h``, ``30d``, ``2w``."""

from __future__ import annotations

import datetime as dt
import re

import click

_DURATION = re.compile(r"^(\d{1,6})([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


class Duration(click.ParamType[dt.timedelta]):
    """A click parameter type for a positive duration."""

    name = "duration"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> dt.timedelta:
        if isinstance(value, dt.timedelta):
            return value
        match = _DURATION.match(str(value).strip())
        if not match or int(match.group(1)) == 0:
            self.fail(f"{value!r} is not a duration like 90m, 12h, 30d or 2w", param, ctx)
        return dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
