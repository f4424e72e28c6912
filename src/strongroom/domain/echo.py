"""Quoting what a client sent inside a message, at a length a person can read.

An error names the value it is about, but a value can be megabytes long; a message (and the
reason phrase that carries it to twine's users) should still fit on a screen.
"""

from __future__ import annotations

MAX_SHOWN = 80  # characters of a value quoted in full


def brief(value: str, limit: int = MAX_SHOWN) -> str:
    """``repr(value)``, or for a value over ``limit`` characters its start and its length."""
    if len(value) <= limit:
        return repr(value)
    return f"{value[:limit]!r}... ({len(value)} characters)"


def clipped(text: str, limit: int = 2 * MAX_SHOWN) -> str:
    """``text`` (a library's message, which may quote a value whole) cut at ``limit``."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text)} characters)"
