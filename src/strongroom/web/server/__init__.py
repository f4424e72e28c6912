"""The server seam: everything that depends on uvicorn's internals, for one pinned range of it.

The app (``strongroom.web.create_app``) is plain ASGI and runs on any ASGI server. This package
is what makes uvicorn serve it fast and guarded, by subclassing uvicorn's httptools protocol and
wrapping its status-line tables, so it is tied to the uvicorn versions in ``SUPPORTED_UVICORN``
(pyproject.toml pins the same range; tests/unit/web/server/test_versions.py keeps them equal
and runs against the installed version):

- ``protocol.py``: ``HttpProtocol``, the protocol ``strongroom serve`` and the gunicorn worker
  use: warm reads answered as soon as their headers are parsed, each response's head and body
  in one write (``joining.py``), and
- ``limits.py``: every connection held to the index's ``ConnectionLimits`` (slow and oversized
  clients, the per-process connection cap);
- ``phrases.py``: upload errors in the status line's reason phrase, installed by
  ``HttpProtocol`` as it is first built in a process, whichever way the server was started;
- ``gunicorn.py``: ``StrongroomWorker``, uvicorn-worker's gunicorn worker with ``HttpProtocol``.

Only ``http_protocol()`` hands the protocol out, and only after ``check_uvicorn()`` has found the
installed uvicorn in range: outside it, the adapter is refused (``UnsupportedUvicorn``), never
silently replaced, since stock uvicorn would serve without the connection limits an operator
may rely on. ``strongroom serve --server plain`` and gunicorn's stock
``uvicorn_worker.UvicornWorker`` never import this package's protocol modules.

What twine's users see of a refused upload (twine 7): the endpoint answers
``<status> <message>`` as a plain-text body on every server. Without ``--verbose`` twine prints
``WARNING Error during upload. Retry with the --verbose option for more details.`` and
``ERROR HTTPError: 400 Bad Request from <url>`` followed, on the next line, by the response's
reason phrase; with ``--verbose`` it also prints ``INFO Response from <url>: 400 <phrase>`` and
the body, ``INFO 400 <message>``. With this adapter the phrase is the message, so the message
reaches the user either way; under a server without it (``--server plain``, the stock gunicorn
worker, any other ASGI server) the phrase is the standard ``Bad Request`` and the message shows
only with ``--verbose`` (tests/functional/test_servers.py checks both).
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from strongroom.errors import StrongroomError

if TYPE_CHECKING:
    from strongroom.web.server.protocol import HttpProtocol

__all__ = ["SUPPORTED_UVICORN", "UnsupportedUvicorn", "check_uvicorn", "http_protocol"]

# The uvicorn releases whose internals this package was written and tested against; the
# pin in pyproject.toml must say the same (a test compares them).
SUPPORTED_UVICORN = SpecifierSet(">=0.55,<0.56")


class UnsupportedUvicorn(StrongroomError):
    """The installed uvicorn is outside ``SUPPORTED_UVICORN``: the adapter cannot be used."""

    def __init__(self, installed: str, supported: SpecifierSet) -> None:
        lower_first = sorted(map(str, supported), key=lambda bound: not bound.startswith(">"))
        super().__init__(
            f"uvicorn {installed} is installed but Strongroom's server adapter supports uvicorn "
            f"{','.join(lower_first)}: install a uvicorn in that range, or serve without the "
            "adapter: strongroom serve --server plain, or gunicorn -k "
            "uvicorn_worker.UvicornWorker (README, \"Serving\")")
        self.installed = installed
        self.supported = supported


def check_uvicorn(installed: str | None = None) -> None:
    """Raise UnsupportedUvicorn unless ``installed`` (by default the installed uvicorn's
    version) lies in ``SUPPORTED_UVICORN``."""
    if installed is None:
        try:
            installed = version("uvicorn")
        except PackageNotFoundError:
            installed = "(none)"
    try:
        supported = Version(installed) in SUPPORTED_UVICORN
    except InvalidVersion:
        supported = False
    if not supported:
        raise UnsupportedUvicorn(installed, SUPPORTED_UVICORN)


def http_protocol() -> type[HttpProtocol]:
    """The adapter's HTTP protocol class for ``uvicorn.Config(http=...)``, once the installed
    uvicorn is known to be supported. Raises UnsupportedUvicorn otherwise."""
    check_uvicorn()
    # Imported only now: an unsupported uvicorn may not even have what it imports.
    from strongroom.web.server.protocol import HttpProtocol  # noqa: PLC0415

    return HttpProtocol
