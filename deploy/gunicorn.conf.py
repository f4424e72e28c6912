"""gunicorn settings for Strongroom workers: ``gunicorn -c deploy/gunicorn.conf.py``.

Every worker builds the app from the environment (deploy/strongroom.env: database, bucket,
Redis, purge targets). The master migrates the database once before forking, so workers never
race each other's migrations. Values can be overridden with the variables read below.

The workers are Strongroom's (``strongroom.web.server.gunicorn.StrongroomWorker``: uvicorn with
the server adapter, for a pinned range of uvicorn versions). Without the adapter, on any
uvicorn, use the stock worker: ``gunicorn -c deploy/gunicorn.conf.py -k
uvicorn_worker.UvicornWorker`` (README, "Serving": what that leaves out).
"""

import os
from pathlib import Path

from gunicorn.arbiter import Arbiter

from strongroom.config import load_settings
from strongroom.db.engine import Database

bind = os.environ.get("STRONGROOM_BIND", "127.0.0.1:8001")
workers = int(os.environ.get("STRONGROOM_WORKERS", "4"))
# A name, not the class: gunicorn imports it only when no -k on its command line replaces it.
worker_class = "strongroom.web.server.gunicorn.StrongroomWorker"
wsgi_app = "strongroom.web.asgi:create_app_from_env()"
# Uploads up to the file-size limit on slow links; reads are answered from memory.
timeout = 300
graceful_timeout = 30
keepalive = 30
# nginx on this machine sets X-Forwarded-For; trust it from there only.
forwarded_allow_ips = os.environ.get("STRONGROOM_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("STRONGROOM_ACCESS_LOG") or None
errorlog = "-"


def on_starting(_server: Arbiter) -> None:
    """Bring the schema up to date once, in the master, before any worker starts."""
    config = os.environ.get("STRONGROOM_CONFIG")
    settings = load_settings(Path(config) if config else None)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    db = Database(settings.resolved_database_url)
    db.migrate()
    db.dispose()
