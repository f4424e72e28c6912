"""A tiny loopback HTTP server answering in the OSV API's shapes (querybatch, vulns/{id}),
from tables a test gives, for testing the audit's client without a Strongroom server."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class OsvTables:
    """What the server answers: ids per (name, version) (version None: the package's every
    record), records by id, ``page`` ids per page, ``credentials`` (user, password) it wants;
    ``requests`` collects (method, path, decoded JSON body or None)."""

    ids: dict[tuple[str, str | None], list[str]] = field(default_factory=dict)
    records: dict[str, Any] = field(default_factory=dict)
    page: int = 1000
    credentials: tuple[str, str] | None = None
    requests: list[tuple[str, str, Any]] = field(default_factory=list)
    broken_batch: Any = None  # answered to querybatch instead when set


class _Handler(BaseHTTPRequestHandler):
    tables: OsvTables

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read ``requests`` instead."""

    def _send(self, status: int, body: Any) -> None:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _allowed(self) -> bool:
        wanted = self.tables.credentials
        if wanted is None:
            return True
        token = base64.b64encode(":".join(wanted).encode()).decode()
        return self.headers.get("Authorization") == f"Basic {token}"

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.tables.requests.append(("POST", self.path, body))
        if not self._allowed():
            self._send(401, {"code": 16, "message": "credentials wanted"})
        elif self.path != "/osv/v1/querybatch":
            self._send(404, {"code": 5, "message": "Not found."})
        elif self.tables.broken_batch is not None:
            self._send(200, self.tables.broken_batch)
        else:
            self._send(200, {"results": [self._result(q) for q in body["queries"]]})

    def _result(self, query: dict[str, Any]) -> dict[str, Any]:
        key = (query["package"]["name"], query.get("version"))
        ids = self.tables.ids.get(key, [])
        start = int(query.get("page_token", "0"))
        page = ids[start:start + self.tables.page]
        if not page:
            return {}
        result: dict[str, Any] = {"vulns": [{"id": i, "modified": "2024-01-01T00:00:00Z"}
                                            for i in page]}
        if start + self.tables.page < len(ids):
            result["next_page_token"] = str(start + self.tables.page)
        return result

    def do_GET(self) -> None:
        self.tables.requests.append(("GET", self.path, None))
        prefix = "/osv/v1/vulns/"
        record = self.tables.records.get(self.path.removeprefix(prefix))
        if not self._allowed():
            self._send(401, {"code": 16, "message": "credentials wanted"})
        elif not self.path.startswith(prefix) or record is None:
            self._send(404, {"code": 5, "message": "Bug not found."})
        else:
            self._send(200, record)


@contextmanager
def osv_server(tables: OsvTables) -> Iterator[str]:
    """Serve ``tables`` on loopback; yields the base URL (``http://127.0.0.1:PORT/``)."""
    handler = type("Handler", (_Handler,), {"tables": tables})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
