"""Durations as people type them: ``3600`` (seconds), ``90m``, ``12h``, ``30d``, ``2w``."""

from __future__ import annotations

import datetime as dt
import re

import click

_DURATION = re.compile(r"^(\d{1,9})([smhdw]?)$")
_UNITS = {"": "seconds", "s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
# Longer lifetimes or grace periods mean "forever" and would carry dates past year 9999.
LONGEST = dt.timedelta(days=100 * 365)


class Duration(click.ParamType[dt.timedelta]):
    """A click parameter type for a positive duration of at most ``LONGEST``: a whole number
    followed by a unit (s, m, h, d, w), or a bare whole number of seconds."""

    name = "duration"

    def convert(self, value: object, param: click.Parameter | None,
                ctx: click.Context | None) -> dt.timedelta:
        if isinstance(value, dt.timedelta):
            return value
        match = _DURATION.match(str(value).strip())
        if not match or int(match.group(1)) == 0:
            self.fail(f"{value!r} is not a duration like 3600 (seconds), 90m, 12h, 30d or 2w",
                      param, ctx)
        duration = dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        if duration > LONGEST:
            self.fail(f"{value!r} is longer than {LONGEST.days} days", param, ctx)
        return duration
