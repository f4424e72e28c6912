"""An import-string entry point for process managers that start their own workers.

``uvicorn --factory strongroom.web.asgi:create_app_from_env`` (add ``--http
strongroom.web.server.protocol:HttpProtocol`` for the server adapter, web/server/) and gunicorn
with deploy/gunicorn.conf.py (``strongroom.web.asgi:create_app_from_env()``, with the adapter's
worker or, given ``-k uvicorn_worker.UvicornWorker``, the stock one) build one app per worker
from the environment: ``STRONGROOM_CONFIG`` (a TOML file) and the ``STRONGROOM_*``
variables.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.types import ASGIApp

from strongroom.config import load_settings
from strongroom.web.app import create_app


def create_app_from_env() -> ASGIApp:
    """The app for one worker. Does not migrate the database: the parent process does that
    once before starting workers (``strongroom serve --workers N``, or the ``on_starting`` hook
    of deploy/gunicorn.conf.py), so workers never race each other's migrations."""
    config = os.environ.get("STRONGROOM_CONFIG")
    settings = load_settings(Path(config) if config else None)
    return create_app(settings, migrate=False)
