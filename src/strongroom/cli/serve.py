"""``strongroom serve``: run the index."""

from __future__ import annotations

from pathlib import Path

import click
import uvicorn

from strongroom.cli.options import settings_from, state_options
from strongroom.web import create_app


@click.command()
@state_options
@click.option("--host", help="Address to listen on (default 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default 8000).")
@click.option("--access-log", is_flag=True, help="Log every request to standard error.")
def serve(data_dir: Path | None, config_file: Path | None, host: str | None, port: int | None,
          access_log: bool) -> None:
    """Serve the simple, JSON and upload APIs."""
    settings = settings_from(data_dir, config_file, host=host, port=port)
    app = create_app(settings)
    click.echo(f"Strongroom serving {settings.data_dir.resolve()} on "
               f"http://{settings.host}:{settings.port}/", err=True)
    uvicorn.run(app, host=settings.host, port=settings.port,
                log_level="info" if access_log else "warning", access_log=access_log,
                proxy_headers=True, server_header=False)
