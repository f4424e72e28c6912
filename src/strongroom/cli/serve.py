"""``strongroom serve``: run the index, in one process or several workers."""

from __future__ import annotations

import contextlib
import errno
import os
import resource
import socket
import sys
from pathlib import Path

import click
import uvicorn
from uvicorn.supervisors import Multiprocess

from strongroom.cli.options import settings_from, state_options
from strongroom.cli.state import open_index
from strongroom.errors import Conflict, Forbidden, InvalidInput
from strongroom.web import create_app
from strongroom.web.server import http_protocol

# Descriptors a server process needs beside its clients' connections: the listening socket,
# the database and its journal, files being sent, log, Redis and PostgreSQL connections, and
# connections turned away at the cap (open for an instant each).
_SPARE_DESCRIPTORS = 256
_BACKLOG = 2048  # uvicorn's default: connections the kernel queues before they are accepted


def allow_open_files(connections: int) -> None:
    """Raise this process's soft limit on open files (inherited by workers it starts) so that
    ``connections`` clients plus ``_SPARE_DESCRIPTORS`` fit, up to the hard limit; say on
    standard error when even the hard limit is too low."""
    needed = connections + _SPARE_DESCRIPTORS
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= needed:
        return
    target = needed if hard == resource.RLIM_INFINITY else min(needed, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):
        target = soft
    if target < needed:
        click.echo(f"Warning: the open-file limit is {target}, below the {needed} that "
                   f"max_connections = {connections} needs; raise it (ulimit -n, or "
                   "LimitNOFILE= in a systemd unit) or lower STRONGROOM_MAX_CONNECTIONS.",
                   err=True)


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host``:``port`` (IPv6 when ``host`` has a colon), bound as
    uvicorn binds one. Raises Conflict when the port is taken,
    Forbidden when binding it needs privileges, InvalidInput for any other address it cannot
    listen on."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(_BACKLOG)
    except OSError as exc:
        sock.close()
        where = f"cannot listen on {host}:{port}"
        if exc.errno == errno.EADDRINUSE:
            raise Conflict(f"{where}: the port is in use (another server is running there; "
                           "choose another with --port)") from exc
        if exc.errno == errno.EACCES:
            raise Forbidden(f"{where}: permission denied (ports below 1024 need "
                            "privileges; choose another with --port)") from exc
        raise InvalidInput(f"{where}: {exc.strerror or exc}") from exc
    return sock


def _server_options(kind: str, max_connections: int) -> dict[str, object]:
    """uvicorn's options for the ``--server`` chosen. The adapter's protocol (web/server/) holds
    each connection to the limits itself; stock uvicorn has only its own concurrency cap, which
    answers 503 to requests beyond ``max_connections`` connections or requests under way.
    Raises UnsupportedUvicorn for the adapter on a uvicorn outside its range."""
    if kind == "plain":
        return {"http": "auto", "limit_concurrency": max_connections}
    return {"http": http_protocol()}


@click.command()
@state_options
@click.option("--host", help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default 8000).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes sharing the port (each with its own page cache).")
@click.option("--access-log", is_flag=True, help="Log every request to standard error.")
@click.option("--server", "server_kind", type=click.Choice(["strongroom", "plain"]),
              default="strongroom", show_default=True,
              help="strongroom: uvicorn with Strongroom's adapter (connection limits, warm reads "
                   "in the protocol, errors in the reason phrase), for the uvicorn versions it "
                   "supports; plain: stock uvicorn, any version.")
def serve(data_dir: Path | None, config_file: Path | None, host: str | None, port: int | None,
          workers: int, access_log: bool, server_kind: str) -> None:
    """Serve the simple, JSON and upload APIs.

    The port is bound first, so a port in use stops the command before the index is opened,
    and "serving on" is said only once clients can connect.

    With --workers N > 1, the database is migrated once here and uvicorn starts N processes,
    each building the app from the environment. That works on SQLite too (WAL, writers take
    turns, the serial file tells every worker of each write); on several machines use
    PostgreSQL, S3 and Redis (README, "Scale-out").

    With --server strongroom (the default) an installed uvicorn outside the adapter's range
    stops the command before anything starts, naming the range and --server plain.
    """
    settings = settings_from(data_dir, config_file, host=host, port=port)
    options = {"host": settings.host, "port": settings.port, "access_log": access_log,
               "log_level": "info" if access_log else "warning", "proxy_headers": True,
               "server_header": False, "timeout_keep_alive": settings.keep_alive_timeout,
               "backlog": _BACKLOG, **_server_options(server_kind, settings.max_connections)}
    allow_open_files(settings.max_connections)
    with listen(settings.host, settings.port) as sock:
        if workers == 1:
            config = uvicorn.Config(create_app(settings), **options)  # type: ignore[arg-type]
        else:
            sock.set_inheritable(True)  # for the worker processes only, not README renderers
            open_index(settings, create=True).dispose()
            # The workers are new interpreters: they learn the command line's choices from the
            # environment, which load_settings reads after the config file.
            os.environ["STRONGROOM_DATA_DIR"] = str(settings.data_dir.resolve())
            os.environ["STRONGROOM_BASE_URL"] = settings.public_base_url
            if config_file is not None:
                os.environ["STRONGROOM_CONFIG"] = str(config_file.resolve())
            config = uvicorn.Config("strongroom.web.asgi:create_app_from_env", factory=True,
                                    workers=workers, **options)  # type: ignore[arg-type]
        # Only now: the port is ours and a client connecting is queued until it is answered.
        click.echo(f"Strongroom serving {settings.data_dir.resolve()} on "
                   f"http://{settings.host}:{settings.port}/"
                   + (f" with {workers} workers" if workers > 1 else ""), err=True)
        if not settings.base_url:
            click.echo(f"JSON API documents name files under {settings.public_base_url}/ "
                       "(set base_url or STRONGROOM_BASE_URL to the address clients use)",
                       err=True)
        server = uvicorn.Server(config)
        with contextlib.suppress(KeyboardInterrupt):
            if workers > 1:
                Multiprocess(config, sockets=[sock]).run()
                return
            server.run(sockets=[sock])
    if not server.started:  # the application failed to start; uvicorn has logged why
        sys.exit(1)
