"""``StrongroomWorker``: uvicorn-worker's gunicorn worker serving with the adapter's protocol.

deploy/gunicorn.conf.py names it as its ``worker_class``. Importing this module checks the
installed uvicorn first (``http_protocol``), so gunicorn refuses to start with an unsupported
uvicorn, saying which range to install or to use the stock worker instead:
``gunicorn -c deploy/gunicorn.conf.py -k uvicorn_worker.UvicornWorker`` (README, "Serving").
Needs ``pip install gunicorn uvicorn-worker`` beside Strongroom.
"""

from __future__ import annotations

from typing import Any, ClassVar

from uvicorn_worker import UvicornWorker

from strongroom.web.server import http_protocol


class StrongroomWorker(UvicornWorker):
    """uvicorn's worker, sending each response's head and body in one write, answering warm
    reads in its protocol, holding clients to the connection limits and carrying upload errors
    in the reason phrase."""

    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {**UvicornWorker.CONFIG_KWARGS,
                                               "http": http_protocol()}
