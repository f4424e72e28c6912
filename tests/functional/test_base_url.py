"""Absolute URLs in JSON API documents follow the configured base URL (here another name of
the same server, so that the test can tell it from the address requests use) and every one of
them leads to a page that exists."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.builders import make_sdist, make_wheel
from tests.databases import fresh_database
from tests.functional.server import LiveIndex, free_port

pytestmark = pytest.mark.functional


def _urls(document: Any) -> Iterator[str]:
    """Every string in the document that is an absolute URL, except the project's own links."""
    if isinstance(document, dict):
        for key, value in document.items():
            if key not in ("project_urls", "home_page", "download_url"):
                yield from _urls(value)
    elif isinstance(document, list):
        for item in document:
            yield from _urls(item)
    elif isinstance(document, str) and document.startswith(("http://", "https://")):
        yield document


def test_every_absolute_url_starts_with_the_base_url_and_resolves(tmp_path: Path) -> None:
    port = free_port()
    base_url = f"http://localhost:{port}"
    with fresh_database("sqlite", tmp_path) as url:
        live = LiveIndex(data_dir=tmp_path / "data", database_url=url, port=port,
                         log_path=tmp_path / "server.log",
                         extra_env={"STRONGROOM_BASE_URL": base_url})
        live.start()
        try:
            live.create_user("bea")
            files = [make_wheel(tmp_path, "based-lib", "1.0"),
                     make_sdist(tmp_path, "based-lib", "1.0")]
            live.cli("admin", "import", *map(str, files), "--user", "bea")
            documents = [httpx.get(f"{live.url}/pypi/Based_Lib/json").json(),
                         httpx.get(f"{live.url}/pypi/based-lib/1.0/json").json()]
            urls = {u for document in documents for u in _urls(document)}
            assert {f"{base_url}/project/based-lib/",
                    f"{base_url}/project/based-lib/1.0/"} <= urls
            assert len(urls) == 4  # the two above and the two files
            for address in sorted(urls):
                assert address.startswith(f"{base_url}/"), address
                response = httpx.get(address, follow_redirects=True)
                assert response.status_code == 200, address
                assert str(response.url).startswith(f"{base_url}/"), address
        finally:
            live.stop()
