"""Caveats: restrictions written into a token. Each is a small JSON object, so the holder of a
token can add more (narrowing it) without the server's help."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass

from strongroom.domain.principals import READ, UPLOAD

__all__ = ["READ", "UPLOAD", "RequestContext", "actions", "expiry", "projects", "publisher",
           "satisfied", "user"]


@dataclass(frozen=True)
class RequestContext:
    """What a token is being used for."""

    now: dt.datetime
    project: str  # the normalised project name the request acts on ("": all of them)
    user_id: int | None  # the user the token belongs to (None: a trusted publisher's)
    action: str = UPLOAD  # what the request does: UPLOAD or READ
    publisher_id: int | None = None  # the trusted publisher a minted token belongs to


def expiry(not_before: dt.datetime, expires: dt.datetime) -> str:
    """A caveat valid only between the two instants."""
    return json.dumps({"nbf": int(not_before.timestamp()), "exp": int(expires.timestamp())})


def projects(names: list[str]) -> str:
    """A caveat valid only for these normalised project names."""
    return json.dumps({"projects": sorted(names)})


def actions(names: list[str]) -> str:
    """A caveat valid only for these actions (``[READ]``: a read-only token)."""
    return json.dumps({"actions": sorted(names)})


def user(user_id: int) -> str:
    """A caveat valid only for this user's tokens."""
    return json.dumps({"user": user_id})


def publisher(publisher_id: int) -> str:
    """A caveat valid only for this trusted publisher's minted tokens (strongroom.oidc)."""
    return json.dumps({"publisher": publisher_id})


def satisfied(caveat: str, context: RequestContext) -> bool:
    """Whether one caveat holds for the request. Unknown or malformed caveats never hold."""
    try:
        body = json.loads(caveat)
    except ValueError:
        body = None
    match body:  # only these mappings hold; anything else, empty ones included, never does
        case {"nbf": int(nbf), "exp": int(exp)} if len(body) == 2:
            return nbf <= context.now.timestamp() < exp
        case {"projects": list(names)} if len(body) == 1:
            return context.project in names
        case {"actions": list(names)} if len(body) == 1:
            return context.action in names
        case {"user": int(owner)} if len(body) == 1:
            return owner == context.user_id
        case {"publisher": int(owner)} if len(body) == 1:
            return owner == context.publisher_id
    return False
