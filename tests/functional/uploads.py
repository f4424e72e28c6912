"""Posting to ``/legacy/`` exactly as twine does, for tests that need to send what twine won't."""

from __future__ import annotations

import base64

import httpx


def basic_auth(token: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"__token__:{token}".encode()).decode()}


def post_upload(index_url: str, token: str, filename: str, data: bytes | None,
                fields: dict[str, str], *, client: httpx.Client | None = None) -> httpx.Response:
    """One multipart upload; ``data`` None sends no file part."""
    files: dict[str, tuple[str | None, bytes] | tuple[str, bytes, str]]
    if data is not None:
        files = {"content": (filename, data, "application/octet-stream")}
    else:
        # Force a multipart body even without a file, as twine always sends one.
        files = {"comment": (None, b"")}
    sender = client or httpx
    return sender.post(f"{index_url}/legacy/", data=fields, files=files,
                       headers=basic_auth(token), timeout=60)
