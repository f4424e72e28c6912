"""IndexReader against a real database: rendering, warm reads without SQL, invalidation."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from sqlalchemy import delete, select
from tests.readside import Index, sql_statements

from strongroom.db.engine import Database
from strongroom.index import IndexReader, Page
from strongroom.index.views import load_core_metadata, load_project
from strongroom.upload import File

BASE = "http://idx.test"


@pytest.fixture
def index(database: Database, tmp_path: Path) -> Index:
    return Index(database, tmp_path)


def test_pages_render(index: Index) -> None:
    index.release("Alpha", "1.0")
    index.release("Beta", "2.0")
    reader = index.reader
    html = asyncio.run(reader.project_page("alpha", "html"))
    assert html is not None
    assert b"alpha-1.0-py3-none-any.whl" in html.body
    assert html.serial == 1
    data = json.loads(asyncio.run(reader.project_page("beta", "json")).body)  # type: ignore[union-attr]
    assert data["versions"] == ["2.0"]
    assert data["meta"]["_last-serial"] == 2
    root = asyncio.run(reader.index_page("json"))
    assert [p["name"] for p in json.loads(root.body)["projects"]] == ["Alpha", "Beta"]
    assert root.serial == 2
    assert asyncio.run(reader.project_page("missing", "html")) is None
    document = asyncio.run(reader.project_document("alpha", BASE))
    assert document is not None
    assert json.loads(document.body)["info"]["summary"] == "Alpha summary"
    assert asyncio.run(reader.release_document("alpha", "9.9", BASE)) is None


def test_warm_read_does_no_sql(index: Index) -> None:
    index.release("Alpha", "1.0")
    reader = index.reader

    async def read_all() -> None:
        await reader.index_page("html")
        await reader.index_page("json")
        await reader.project_page("alpha", "html")
        await reader.project_page("alpha", "json")
        await reader.project_document("alpha", BASE)
        await reader.release_document("alpha", "1.0", BASE)

    with sql_statements(index.db) as cold:
        asyncio.run(read_all())
    assert cold
    with sql_statements(index.db) as warm:
        asyncio.run(read_all())
    assert warm == []


def test_publish_invalidates_only_the_changed_project(index: Index) -> None:
    index.release("Alpha", "1.0")
    index.release("Beta", "1.0")
    reader = index.reader
    alpha = asyncio.run(reader.project_page("alpha", "json"))
    beta = asyncio.run(reader.project_page("beta", "json"))
    root = asyncio.run(reader.index_page("json"))
    index.release("Alpha", "2.0")
    assert asyncio.run(reader.project_page("beta", "json")) is beta
    new_alpha = asyncio.run(reader.project_page("alpha", "json"))
    assert new_alpha is not None
    assert new_alpha is not alpha
    assert json.loads(new_alpha.body)["versions"] == ["1.0", "2.0"]
    assert new_alpha.etag != alpha.etag  # type: ignore[union-attr]
    new_root = asyncio.run(reader.index_page("json"))
    assert new_root is not root
    assert new_root.serial == 3
    with sql_statements(index.db) as warm:
        asyncio.run(reader.project_page("beta", "json"))
        asyncio.run(reader.project_page("alpha", "json"))
    assert warm == []


def test_unpublished_write_is_not_seen_until_published(index: Index) -> None:
    index.release("Alpha", "1.0")
    first = asyncio.run(index.reader.project_page("alpha", "json"))
    index.release("Alpha", "2.0", publish=False)
    assert asyncio.run(index.reader.project_page("alpha", "json")) is first
    index.feed.publish(2)
    assert asyncio.run(index.reader.project_page("alpha", "json")) is not first


def test_stampede_renders_once(index: Index) -> None:
    index.release("Alpha", "1.0")
    reader = index.reader

    async def stampede() -> set[str]:
        pages = await asyncio.gather(*(reader.project_page("alpha", "html") for _ in range(20)))
        return {page.etag for page in pages if page is not None}

    with sql_statements(index.db) as statements:
        etags = asyncio.run(stampede())
    assert len(etags) == 1
    project_loads = [s for s in statements if "FROM projects" in s]
    assert len(project_loads) == 1


def test_quarantined_project_is_hidden(index: Index) -> None:
    index.release("Alpha", "1.0")
    sha, _ = index.release("Evil", "1.0", status="quarantined")
    reader = index.reader
    root = json.loads(asyncio.run(reader.index_page("json")).body)
    assert [p["name"] for p in root["projects"]] == ["Alpha"]
    page = asyncio.run(reader.project_page("evil", "json"))
    assert page is not None
    data = json.loads(page.body)
    assert data["files"] == []
    assert data["project-status"]["status"] == "quarantined"
    assert asyncio.run(reader.project_document("evil", BASE)) is None
    assert asyncio.run(reader.file(sha, "evil-1.0-py3-none-any.whl")) is None


def test_files_resolve_by_name_and_hash(index: Index) -> None:
    sha, meta_sha = index.release("Alpha", "1.0")
    reader = index.reader
    target = asyncio.run(reader.file(sha, "alpha-1.0-py3-none-any.whl"))
    assert target is not None
    assert target.sha256 == sha
    assert target.local_path is not None
    assert target.local_path.read_bytes() == b"wheel alpha-1.0-py3-none-any.whl"
    meta = asyncio.run(reader.file(sha, "alpha-1.0-py3-none-any.whl.metadata"))
    assert meta is not None
    assert meta.sha256 == meta_sha
    assert asyncio.run(reader.file("0" * 64, "alpha-1.0-py3-none-any.whl")) is None
    assert asyncio.run(reader.file(sha, "alpha-2.0-py3-none-any.whl")) is None
    with sql_statements(index.db) as warm:
        assert asyncio.run(reader.file(sha, "alpha-1.0-py3-none-any.whl")) is target
    assert warm == []


def test_a_project_page_tells_where_its_distributions_are(index: Index) -> None:
    sha, _ = index.release("Alpha", "1.0")
    wheel = "alpha-1.0-py3-none-any.whl"
    reader = index.reader
    asyncio.run(reader.project_page("alpha", "html"))
    with sql_statements(index.db) as first_download:
        target = asyncio.run(reader.file(sha, wheel))
    assert first_download == []
    assert target is not None
    assert (target.sha256, target.size, target.filename) == (sha, len(f"wheel {wheel}"), wheel)
    assert target.local_path is not None
    assert target.local_path.read_bytes() == f"wheel {wheel}".encode()
    with sql_statements(index.db) as metadata:  # checked before it is first cached
        assert asyncio.run(reader.file(sha, f"{wheel}.metadata")) is not None
    assert metadata
    index.release("Alpha", "1.1", status="quarantined")
    assert asyncio.run(reader.file(sha, wheel)) is None


def test_project_view_groups_files_under_their_releases(index: Index) -> None:
    index.release("Alpha", "1.10")
    index.release("Alpha", "1.9")
    index.release("Alpha", "2.0")
    with index.db.write() as session:
        second = session.scalar(select(File).where(File.filename.like("%1.9%")))
        assert second is not None
        session.add(File(release_id=second.release_id, filename="alpha-1.9.tar.gz",
                         packagetype="sdist", python_version="source", size=1, sha256="a" * 64,
                         blake2_256="b" * 64, md5="c" * 32))
        session.execute(delete(File).where(File.filename.like("%2.0%")))
    with index.db.read() as session:
        view = load_project(session, "alpha")
        metadata = load_core_metadata(session, "alpha", "1.10")
        no_release = load_core_metadata(session, "alpha", "3.0")
    assert view is not None
    assert [r.version for r in view.releases] == ["1.9", "1.10", "2.0"]
    assert [[f.filename for f in r.files] for r in view.releases] == [
        ["alpha-1.9-py3-none-any.whl", "alpha-1.9.tar.gz"], ["alpha-1.10-py3-none-any.whl"], []]
    assert [f.version for f in view.releases[0].files] == ["1.9", "1.9"]
    assert metadata == {"name": "Alpha", "version": "1.10", "summary": "Alpha summary"}
    assert no_release == {}


def test_missing_pages_are_remembered_until_their_project_changes(index: Index) -> None:
    reader = index.reader
    index.release("Beta", "1.0")

    async def look() -> list[Page | None]:
        return [await reader.project_page("alpha", "html"),
                await reader.project_document("alpha", BASE),
                await reader.release_document("beta", "2.0", BASE)]

    with sql_statements(index.db) as cold:
        assert asyncio.run(look()) == [None, None, None]
    assert cold
    with sql_statements(index.db) as warm:
        assert asyncio.run(look()) == [None, None, None]
    assert warm == []
    index.release("Alpha", "1.0")
    index.release("Beta", "2.0")
    page, document, release = asyncio.run(look())
    assert page is not None
    assert b"alpha-1.0-py3-none-any.whl" in page.body
    assert document is not None
    assert release is not None
    assert json.loads(release.body)["info"]["version"] == "2.0"


def test_a_write_during_a_missing_render_is_not_hidden(index: Index) -> None:
    reader = index.reader

    def render() -> Page | None:
        index.release("Alpha", "1.0")  # lands after the render looked, before it is stored
        asyncio.run(reader._fresh())
        return None

    assert reader._fill(("simple", "alpha", "html"), "alpha", render) is None
    page = asyncio.run(reader.project_page("alpha", "html"))
    assert page is not None


def test_what_clients_name_cannot_outgrow_the_caches(database: Database, tmp_path: Path) -> None:
    index = Index(database, tmp_path)
    index.release("Alpha", "1.0")
    reader = IndexReader(database, index.blobs, index.feed, max_entries=50)
    for i in range(60):  # names and versions of 5,000 characters that exist nowhere
        assert asyncio.run(reader.project_page(f"{i}-{'x' * 5000}", "html")) is None
        assert asyncio.run(reader.release_document("alpha", f"1.{'0' * 5000}{i}", BASE)) is None
    entries, held = reader._absent.size
    assert held <= reader._absent.max_bytes
    assert entries < 60  # the byte budget, not only the entry count, pushed entries out
