"""The pypi-simple client library reads our pages, in HTML and JSON, exactly as it reads PyPI."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from pypi_simple import ACCEPT_HTML_ONLY, ACCEPT_JSON_ONLY, PyPISimple

from tests.builders import make_sdist, make_wheel
from tests.functional.clients import twine_upload
from tests.functional.server import LiveIndex

pytestmark = pytest.mark.functional


@pytest.fixture(scope="module")
def files(index: LiveIndex, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    dist = tmp_path_factory.mktemp("dist")
    index.create_user("carol")
    built = [make_wheel(dist, "Simple.Client", "0.9", requires_python=">=3.9"),
             make_wheel(dist, "Simple.Client", "1.0", requires_python=">=3.9"),
             make_sdist(dist, "Simple.Client", "1.0")]
    twine_upload(index.url, index.token("carol"), built, dist)
    index.cli("admin", "yank", "simple-client", "0.9", "--reason", "use 1.0")
    return built


@pytest.mark.parametrize("accept", [ACCEPT_JSON_ONLY, ACCEPT_HTML_ONLY])
def test_project_page_round_trips(index: LiveIndex, files: list[Path], accept: str,
                                  tmp_path: Path) -> None:
    with PyPISimple(f"{index.url}/simple/", accept=accept) as client:
        assert "Simple.Client" in client.get_index_page().projects
        page = client.get_project_page("Simple.Client")
        assert page.repository_version == "1.4"
        assert page.last_serial is not None
        by_name = {p.filename: p for p in page.packages}
        assert set(by_name) == {f.name for f in files}
        for built in files:
            package = by_name[built.name]
            assert package.digests["sha256"] == hashlib.sha256(built.read_bytes()).hexdigest()
            assert package.is_yanked == (package.version == "0.9")
            if package.is_yanked:
                assert package.yanked_reason == "use 1.0"
            if package.package_type == "wheel":
                assert package.requires_python == ">=3.9"
            # JSON says false for "no metadata file"; HTML leaves the attribute out (None).
            assert bool(package.has_metadata) is (package.package_type == "wheel")
            target = tmp_path / package.filename
            client.download_package(package, target)  # verifies the digests itself
            assert target.read_bytes() == built.read_bytes()
            if package.has_metadata:
                metadata = client.get_package_metadata(package)
                assert "Name: Simple.Client" in metadata


def test_json_page_has_pep_700_fields(index: LiveIndex, files: list[Path]) -> None:
    with PyPISimple(f"{index.url}/simple/", accept=ACCEPT_JSON_ONLY) as client:
        page = client.get_project_page("simple-client")
    assert sorted(page.versions or []) == ["0.9", "1.0"]
    assert all(p.size and p.upload_time for p in page.packages)
