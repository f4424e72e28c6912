"""``strongroom serve``: run the index, in one process or several workers."""

from __future__ import annotations

import os
import resource
from pathlib import Path

import click
import uvicorn

from strongroom.cli.options import settings_from, state_options
from strongroom.cli.state import open_index
from strongroom.web import create_app
from strongroom.web.protocol import HttpProtocol

# Descriptors a server process needs beside its clients' connections: the listening socket,
# the database and its journal, files being sent, log, Redis and PostgreSQL connections, and
# connections turned away at the cap (open for an instant each).
_SPARE_DESCRIPTORS = 256


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


@click.command()
@state_options
@click.option("--host", help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default 8000).")
@click.option("--workers", type=click.IntRange(min=1), default=1, show_default=True,
              help="Worker processes sharing the port (each with its own page cache).")
@click.option("--access-log", is_flag=True, help="Log every request to standard error.")
def serve(data_dir: Path | None, config_file: Path | None, host: str | None, port: int | None,
          workers: int, access_log: bool) -> None:
    """Serve the simple, JSON and upload APIs.

    With --workers N > 1, the database is migrated once here and uvicorn starts N processes,
    each building the app from the environment. That works on SQLite too (WAL, writers take
    turns, the serial file tells every worker of each write); on several machines use
    PostgreSQL, S3 and Redis (README, "Scale-out").
    """
    settings = settings_from(data_dir, config_file, host=host, port=port)
    options = {"host": settings.host, "port": settings.port, "access_log": access_log,
               "log_level": "info" if access_log else "warning", "proxy_headers": True,
               "server_header": False, "http": HttpProtocol,
               "timeout_keep_alive": settings.keep_alive_timeout}
    allow_open_files(settings.max_connections)
    click.echo(f"Strongroom serving {settings.data_dir.resolve()} on "
               f"http://{settings.host}:{settings.port}/"
               + (f" with {workers} workers" if workers > 1 else ""), err=True)
    if not settings.base_url:
        click.echo(f"JSON API documents name files under {settings.public_base_url}/ "
                   "(set base_url or STRONGROOM_BASE_URL to the address clients use)", err=True)
    if workers == 1:
        uvicorn.run(create_app(settings), **options)  # type: ignore[arg-type]
        return
    open_index(settings, create=True).dispose()
    # The workers are new interpreters: they learn the command line's choices from the
    # environment, which load_settings reads after the config file.
    os.environ["STRONGROOM_DATA_DIR"] = str(settings.data_dir.resolve())
    os.environ["STRONGROOM_BASE_URL"] = settings.public_base_url
    if config_file is not None:
        os.environ["STRONGROOM_CONFIG"] = str(config_file.resolve())
    uvicorn.run("strongroom.web.asgi:create_app_from_env", factory=True, workers=workers,
                **options)  # type: ignore[arg-type]
