"""Where a request came from, as the security history records it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Client:
    """A client's address and user agent (as it said; not ours to refuse)."""

    address: str
    user_agent: str
