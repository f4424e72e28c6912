"""Importing the real advisory database in batches, then again (idempotent), and syncing it
from a loopback HTTP server that honours ETag and Last-Modified."""

from __future__ import annotations

import contextlib
import datetime as dt
import http.server
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from strongroom.db import journal
from strongroom.db.engine import Database
from strongroom.errors import InvalidInput, TooLarge
from strongroom.vulns import (
    FeedState,
    VulnerabilityFeed,
    VulnerabilityPackage,
    VulnerabilityRecord,
    VulnerabilityStore,
    advisories_for,
    download,
    import_readings,
    open_path,
    sync_feed,
)

FIXTURE = Path(__file__).parents[4] / "shared" / "fixtures" / "osv" / "PyPI-all.zip"
ETAG = '"all-zip-1"'
LAST_MODIFIED = "Mon, 01 Jan 2024 00:00:00 GMT"


class _Feed(http.server.BaseHTTPRequestHandler):
    body = FIXTURE.read_bytes()
    asked: list[dict[str, str]]

    def do_GET(self) -> None:
        self.asked.append(dict(self.headers))
        if self.path == "/missing.zip":
            self.send_error(404)
            return
        if self.headers.get("If-None-Match") == ETAG:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(len(self.body)))
        self.send_header("ETag", ETAG)
        self.send_header("Last-Modified", LAST_MODIFIED)
        self.end_headers()
        # A client that stops reading at its byte bound closes the connection.
        with contextlib.suppress(ConnectionError):
            self.wfile.write(self.body)

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def feed() -> Iterator[tuple[str, list[dict[str, str]]]]:
    asked: list[dict[str, str]] = []
    handler = type("Handler", (_Feed,), {"asked": asked})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", asked
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _counts(database: Database) -> tuple[int, int]:
    with database.read() as session:
        return (session.scalar(select(func.count()).select_from(VulnerabilityRecord)) or 0,
                session.scalar(select(func.count()).select_from(VulnerabilityPackage)) or 0)


def test_the_real_database_imports_in_batches_and_again_unchanged(database: Database) -> None:
    written: list[journal.Written] = []
    store = VulnerabilityStore(database, on_commit=written.append)
    steps: list[int] = []
    report = import_readings(store, open_path(FIXTURE), source="all.zip", batch=1000,
                             progress=steps.append)
    assert steps == [1000, 1000, 661]
    assert report.counts == {"added": 2650, "changed": 0, "unchanged": 0, "older": 0,
                             "withdrawn": 10, "refused": 1}
    assert [n.record_id for n in report.refusals] == ["PYSEC-2024-55"]
    assert report.warnings  # real records carry ranges PEP 440 cannot order
    records, packages = _counts(database)
    assert records == 2660
    assert packages >= records - 10
    assert written == []  # no project of the index is named
    again = import_readings(store, open_path(FIXTURE), source="all.zip")
    assert again.counts["unchanged"] == 2660
    assert _counts(database) == (records, packages)
    with database.read_connection() as connection:
        jinja = {a.id for a in advisories_for(connection, "Jinja2")}
    assert "PYSEC-2021-66" in jinja


def test_sync_imports_once_then_sends_the_validators_and_gets_304(
        database: Database, feed: tuple[str, list[dict[str, str]]]) -> None:
    base, asked = feed
    store = VulnerabilityStore(database, on_commit=lambda _w: None)
    state = FeedState(database, lambda: dt.datetime.now(dt.UTC))
    totals: list[int] = []
    advanced: list[int] = []

    def progress_for(total: int) -> Callable[[int], None]:
        totals.append(total)
        return advanced.append

    first = sync_feed(f"{base}/all.zip", store, state, progress_for=progress_for)
    assert first.report is not None
    assert first.report.counts["added"] == 2650
    assert totals == [2661]
    assert sum(advanced) == 2661
    second = sync_feed(f"{base}/all.zip", store, state)
    assert second.report is None
    assert asked[0].get("If-None-Match") is None
    assert (asked[1]["If-None-Match"], asked[1]["If-Modified-Since"]) == (ETAG, LAST_MODIFIED)
    with database.read() as session:
        kept = session.get(VulnerabilityFeed, f"{base}/all.zip")
        assert kept is not None
        assert (kept.etag, kept.last_modified, kept.records) == (ETAG, LAST_MODIFIED, 2660)
        assert kept.checked is not None
        assert kept.imported is not None
        assert kept.checked >= kept.imported


def test_download_errors_are_named(feed: tuple[str, list[dict[str, str]]]) -> None:
    base, _asked = feed
    with pytest.raises(InvalidInput, match=r"missing\.zip: the server answered HTTP 404"):
        download(f"{base}/missing.zip")
    with pytest.raises(TooLarge, match="more than the 1000"):
        download(f"{base}/all.zip", max_bytes=1000)
    with pytest.raises(InvalidInput, match="not an http"):
        download("ftp://example.test/all.zip")
