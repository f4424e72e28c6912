"""ReadCache: LRU bounds and per-project invalidation."""

from __future__ import annotations

from strongroom.index.cache import ALL_PROJECTS, Page, ReadCache


def test_page_etag_is_strong_and_content_derived() -> None:
    page = Page.of(b"hello", 3)
    assert page.etag.startswith('"')
    assert page.etag.endswith('"')
    assert page.etag == Page.of(b"hello", 9).etag
    assert page.etag != Page.of(b"hello!", 3).etag


def test_lru_by_count() -> None:
    cache: ReadCache[str] = ReadCache(max_entries=2, max_bytes=1000)
    cache.put("a", "p", "A", 1, cache.epoch)
    cache.put("b", "p", "B", 1, cache.epoch)
    assert cache.get("a") == "A"  # a is now the most recently used
    cache.put("c", "p", "C", 1, cache.epoch)
    assert cache.get("b") is None
    assert cache.get("a") == "A"
    assert cache.size == (2, 2)


def test_lru_by_bytes_and_oversized_values() -> None:
    cache: ReadCache[str] = ReadCache(max_entries=100, max_bytes=10)
    cache.put("a", "p", "A", 6, cache.epoch)
    cache.put("b", "p", "B", 6, cache.epoch)
    assert cache.get("a") is None
    assert cache.size == (1, 6)
    assert cache.put("huge", "p", "H", 11, cache.epoch) is False
    assert cache.get("huge") is None


def test_invalidate_drops_the_projects_and_all_project_pages() -> None:
    cache: ReadCache[str] = ReadCache(max_entries=100, max_bytes=1000)
    for key, project in [("a1", "a"), ("a2", "a"), ("b1", "b"), ("root", ALL_PROJECTS)]:
        cache.put(key, project, key, 1, cache.epoch)
    cache.invalidate({"a"})
    assert cache.get("a1") is None
    assert cache.get("a2") is None
    assert cache.get("root") is None
    assert cache.get("b1") == "b1"
    assert cache.size == (1, 1)


def test_render_that_began_before_an_invalidation_is_refused() -> None:
    cache: ReadCache[str] = ReadCache(max_entries=100, max_bytes=1000)
    started = cache.epoch
    cache.invalidate({"a"})
    assert cache.put("a1", "a", "stale", 1, started) is False
    assert cache.put("root", ALL_PROJECTS, "stale", 1, started) is False
    assert cache.put("b1", "b", "fine", 1, started) is True
    assert cache.put("a1", "a", "fresh", 1, cache.epoch) is True


def test_very_old_render_is_refused() -> None:
    cache: ReadCache[str] = ReadCache(max_entries=100, max_bytes=1000)
    started = cache.epoch
    for n in range(300):
        cache.invalidate({f"p{n}"})
    assert cache.put("b1", "b", "maybe stale", 1, started) is False
