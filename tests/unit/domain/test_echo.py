"""Values quoted in messages stay readable whatever their length."""

from __future__ import annotations

from strongroom.domain.echo import MAX_SHOWN, brief, clipped


def test_short_values_are_quoted_whole() -> None:
    assert brief("demo-1.0") == "'demo-1.0'"
    assert clipped("a message") == "a message"


def test_long_values_show_their_start_and_length() -> None:
    shown = brief("x" * 5000)
    assert shown == repr("x" * MAX_SHOWN) + "... (5000 characters)"
    assert clipped("y" * 1000).endswith("... (1000 characters)")
    assert len(clipped("y" * 1000)) < 200
