"""An index that serves exactly what a test gives it: an HTTP server on loopback in a thread,
answering each path from a table, and noting what each request sent. It stands in for another
party's index (a hostile or a broken one) for the clients Strongroom ships, such as
``strongroom verify``.

    with serving_static() as index:
        index.routes["/simple/demo/"] = Route(200, page, SIMPLE_JSON)
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Route:
    """One answer: its status, body and Content-Type, sent after ``delay`` seconds."""

    status: int
    body: bytes = b""
    content_type: str = "application/octet-stream"
    delay: float = 0.0


@dataclass
class StaticIndex:
    """A running server: its URL, its routes (path -> Route; others answer 404) and the
    requests it was sent, as (path, Authorization header or None)."""

    url: str
    routes: dict[str, Route] = field(default_factory=dict)
    seen: list[tuple[str, str | None]] = field(default_factory=list)


def _handler(index: StaticIndex) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            index.seen.append((self.path, self.headers.get("Authorization")))
            route = index.routes.get(self.path, Route(404, b'{"message": "Not Found"}',
                                                      "application/json"))
            time.sleep(route.delay)
            try:
                self.send_response(route.status)
                self.send_header("Content-Type", route.content_type)
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)
            except (BrokenPipeError, ConnectionResetError):
                pass  # a client that gave up waiting

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def serving_static() -> Iterator[StaticIndex]:
    """A StaticIndex on 127.0.0.1 and a free port, stopped afterwards."""
    index = StaticIndex(url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(index))
    server.daemon_threads = True
    index.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield index
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
