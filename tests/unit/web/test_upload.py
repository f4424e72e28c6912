"""The upload endpoint as an ASGI app: what reaches it, what it answers, and a client that goes
away mid-body, against a real upload service, database and blob store."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import logging
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

import pytest
from sqlalchemy import func, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from tests.builders import make_wheel, multipart_form

from strongroom.accounts import AccountService
from strongroom.config import Limits
from strongroom.db.engine import Database
from strongroom.rendering import ReadmeSandbox
from strongroom.storage import LocalBlobStore
from strongroom.tokens import TokenService
from strongroom.upload import File, UploadOutcome, UploadRequest, UploadService
from strongroom.web import reason
from strongroom.web.upload import LegacyUpload, UploadsFirst

NOW = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.UTC)


class WhereItRuns(UploadService):
    """The real service, noting the thread each upload runs on."""

    threads: list[str]

    def upload(self, request: UploadRequest) -> UploadOutcome:
        self.threads.append(threading.current_thread().name)
        return super().upload(request)


def _service(database: Database, tmp_path: Path, readmes: ReadmeSandbox
             ) -> tuple[WhereItRuns, str]:
    AccountService(database).create_user("alice", email="alice@example.org",
                                         password="a long enough password")
    tokens = TokenService(database)
    service = WhereItRuns(database, LocalBlobStore(tmp_path / "files"), tokens, Limits(),
                          render=readmes, on_commit=lambda _written: None, clock=lambda: NOW)
    service.threads = []
    return service, tokens.create("alice", now=NOW)


@pytest.fixture
def endpoint(database: Database, tmp_path: Path, readmes: ReadmeSandbox
             ) -> Iterator[tuple[LegacyUpload, str]]:
    service, token = _service(database, tmp_path, readmes)
    upload = LegacyUpload(service, threads=2)
    yield upload, token
    upload.close()


def _scope(path: str = "/legacy/", method: str = "POST",
           headers: list[tuple[bytes, bytes]] | None = None) -> Scope:
    return {"type": "http", "method": method, "path": path, "headers": headers or []}


def _call(app: ASGIApp, scope: Scope, messages: list[Message]
          ) -> tuple[list[Message], str | None]:
    """Run ``app`` on ``messages`` as the request; what it sent and the reason phrase it set."""
    sent: list[Message] = []

    async def run() -> str | None:
        queue = list(messages)

        async def receive() -> Message:
            return queue.pop(0)

        async def send(message: Message) -> None:
            sent.append(message)

        await app(scope, receive, send)
        return reason.REASON.get()

    return sent, asyncio.run(run())


def _form(token: str, directory: Path, *, padding: int = 0
          ) -> tuple[list[tuple[bytes, bytes]], bytes]:
    extra = {"demo/padding.bin": bytes(padding)} if padding else None
    wheel = make_wheel(directory, "demo", "1.0", extra_files=extra,
                       compression=zipfile.ZIP_STORED)
    fields = [(":action", "file_upload"), ("protocol_version", "1"), ("name", "demo"),
              ("version", "1.0"), ("filetype", "bdist_wheel"), ("pyversion", "py3"),
              ("sha256_digest", hashlib.sha256(wheel.read_bytes()).hexdigest())]
    content_type, body = multipart_form(fields, [("content", (wheel.name, wheel.read_bytes()))])
    headers = [(b"content-type", content_type.encode()),
               (b"authorization", f"Token {token}".encode()),
               (b"content-length", str(len(body)).encode())]
    return headers, body


def test_an_upload_in_several_chunks_is_published(endpoint: tuple[LegacyUpload, str],
                                                  database: Database, tmp_path: Path) -> None:
    upload, token = endpoint
    headers, body = _form(token, tmp_path)
    chunks = [body[i:i + 500] for i in range(0, len(body), 500)]
    messages = [{"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
                for i, c in enumerate(chunks)]
    sent, phrase = _call(upload, _scope(headers=headers), messages)
    assert [m["type"] for m in sent] == ["http.response.start", "http.response.body"]
    assert (sent[0]["status"], sent[1]["body"], phrase) == (200, b"OK\n", None)
    assert (b"content-type", b"text/plain; charset=utf-8") in sent[0]["headers"]
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(File)) == 1


def test_even_the_smallest_upload_runs_on_the_upload_threads(
        endpoint: tuple[LegacyUpload, str], tmp_path: Path) -> None:
    upload, token = endpoint
    headers, body = _form(token, tmp_path)
    sent, _phrase = _call(upload, _scope(headers=headers),
                          [{"type": "http.request", "body": body, "more_body": False}])
    assert sent[0]["status"] == 200
    assert isinstance(upload.service, WhereItRuns)
    assert len(upload.service.threads) == 1
    assert upload.service.threads[0].startswith("upload")
    assert upload.service.threads[0] != threading.main_thread().name


class _BrokenStore(LocalBlobStore):
    def put(self, sha256: str, source: BinaryIO, *, flush: bool = True) -> None:
        raise RuntimeError("a bug, not a refusal")


def test_an_unexpected_failure_is_a_logged_500_without_a_trace(
        database: Database, tmp_path: Path, readmes: ReadmeSandbox,
        caplog: pytest.LogCaptureFixture) -> None:
    _unused, token = _service(database, tmp_path, readmes)
    broken = UploadService(database, _BrokenStore(tmp_path / "broken"), TokenService(database),
                           Limits(), render=readmes, on_commit=lambda _written: None,
                           clock=lambda: NOW)
    upload = LegacyUpload(broken, threads=1)
    headers, body = _form(token, tmp_path)
    with caplog.at_level(logging.ERROR, logger="strongroom.web.upload"):
        sent, phrase = _call(upload, _scope(headers=headers),
                             [{"type": "http.request", "body": body, "more_body": False}])
    upload.close()
    assert sent[0]["status"] == 500
    assert phrase is not None
    assert phrase.startswith("Internal server error (incident ")
    incident = phrase.split("incident ")[1][:8]
    assert b"Traceback" not in sent[1]["body"]
    assert b"a bug" not in sent[1]["body"]
    [record] = caplog.records
    assert incident in record.getMessage()
    assert record.exc_info is not None
    assert "a bug, not a refusal" in str(record.exc_info[1])


def test_a_refusal_is_in_the_status_line_and_the_body(endpoint: tuple[LegacyUpload, str]) -> None:
    upload, _token = endpoint
    sent, phrase = _call(upload, _scope(headers=[(b"authorization", b"Basic bm9ib2R5OnB3")]),
                         [{"type": "http.request", "body": b"", "more_body": False}])
    assert sent[0]["status"] == 403
    assert phrase is not None
    assert phrase.startswith("Username/Password authentication is not supported")
    assert sent[1]["body"] == f"403 {phrase}\n".encode()
    assert dict(sent[0]["headers"])[b"content-length"] == str(len(sent[1]["body"])).encode()


def test_a_client_gone_mid_body_gets_no_answer_and_publishes_nothing(
        endpoint: tuple[LegacyUpload, str], database: Database, tmp_path: Path) -> None:
    upload, token = endpoint
    headers, body = _form(token, tmp_path)
    sent, _phrase = _call(upload, _scope(headers=headers), [
        {"type": "http.request", "body": body[:100], "more_body": True},
        {"type": "http.disconnect"},
    ])
    assert sent == []
    with database.read() as session:
        assert session.scalar(select(func.count()).select_from(File)) == 0


class _Recorder:
    def __init__(self, name: str, seen: list[str]) -> None:
        self.name = name
        self.seen = seen

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.seen.append(self.name)


@pytest.mark.parametrize(("method", "path", "to"), [
    ("POST", "/legacy/", "upload"),
    ("GET", "/legacy/", "app"),  # the framework answers 405
    ("POST", "/legacy", "app"),  # the framework redirects
    ("POST", "/simple/", "app"),
])
def test_only_post_to_the_upload_path_skips_the_framework(method: str, path: str,
                                                          to: str) -> None:
    seen: list[str] = []
    first = UploadsFirst(_Recorder("app", seen), _Recorder("upload", seen))
    _call(first, _scope(path, method), [])
    assert seen == [to]

