"""The address of an index as a client command is given it (``--index URL``).

A person writes ``https://USER:PASSWORD@pypi.example.org/simple/`` as pip's ``--index-url``
takes it. The commands that read an index (``strongroom audit``, ``strongroom verify``) need
the URL without its credentials (to show and to join paths to) and the credentials apart (to
send only where they belong). An API token given on its own takes the place of any password
in the URL. The URL is never quoted whole in an error: it may hold a password.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from strongroom.domain.echo import brief
from strongroom.errors import InvalidInput


@dataclass(frozen=True)
class IndexAddress:
    """``url``: http(s), no credentials, its path ending in ``/``. ``credentials``: (user,
    password) for HTTP Basic, or None."""

    url: httpx.URL
    credentials: tuple[str, str] | None


def index_address(text: str, *, token: str | None = None, option: str = "--index") -> IndexAddress:
    """``text`` parsed as an index's address; ``token`` (an API token) is sent as the
    ``__token__`` user's password. Raises InvalidInput, naming ``option``, for anything but an
    http(s) URL with a host."""
    try:
        url = httpx.URL(text)
    except httpx.InvalidURL as exc:  # not echoed: it may hold credentials
        raise InvalidInput(f"{option} is not a URL ({exc})") from None
    shown = url.copy_with(username=None, password=None)
    if url.scheme not in ("http", "https") or not url.host:
        raise InvalidInput(f"{option}: {brief(str(shown))} is not an http(s) URL")
    credentials = None
    if token is not None:
        credentials = ("__token__", token)
    elif url.username or url.password:
        credentials = (url.username, url.password)
    path = shown.path if shown.path.endswith("/") else f"{shown.path}/"
    return IndexAddress(shown.copy_with(path=path), credentials)
