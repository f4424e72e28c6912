"""Durations on the command line (``gc --grace``, ``token create --expires-in``)."""

from __future__ import annotations

import datetime as dt

import click
import pytest

from strongroom.cli.admin import gc
from strongroom.cli.durations import Duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("3600", dt.timedelta(hours=1)),
        ("1", dt.timedelta(seconds=1)),
        ("45s", dt.timedelta(seconds=45)),
        ("30m", dt.timedelta(minutes=30)),
        ("1h", dt.timedelta(hours=1)),
        ("2d", dt.timedelta(days=2)),
        ("2w", dt.timedelta(weeks=2)),
        (" 12h ", dt.timedelta(hours=12)),
    ],
)
def test_seconds_and_units_are_accepted(text: str, expected: dt.timedelta) -> None:
    assert Duration().convert(text, None, None) == expected


@pytest.mark.parametrize("text", ["0", "0h", "soon", "1.5h", "-1", "1y", "h", "", "1 h",
                                  "1234567890"])
def test_anything_else_is_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(click.BadParameter, match="is not a duration like 3600 \\(seconds\\)"):
        Duration().convert(text, None, None)


@pytest.mark.parametrize("text", ["999999w", "36501d", "5215w", "876001h"])
def test_durations_past_a_century_are_refused_not_overflowed(text: str) -> None:
    with pytest.raises(click.BadParameter, match="longer than 36500 days"):
        Duration().convert(text, None, None)


def test_gc_grace_takes_plain_seconds() -> None:
    grace = next(p for p in gc.params if p.name == "grace")
    assert grace.type.convert("3600", grace, None) == dt.timedelta(hours=1)
