"""RedisChangeFeed against a real Redis: monotonic under concurrent publishers, visible to
every other client on its next read."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from tests.services import REDIS_URL, redis_client

from strongroom.config import load_settings
from strongroom.index import ChangeFeed, FileChangeFeed, RedisChangeFeed, open_change_feed


@pytest.fixture
def client() -> Iterator[Any]:
    c = redis_client()
    yield c
    c.close()


def test_empty_feed_reads_zero(client: Any, redis_prefix: str) -> None:
    assert RedisChangeFeed(client, redis_prefix).current() == 0


def test_publish_is_seen_by_another_connection_at_once(client: Any, redis_prefix: str) -> None:
    writer: ChangeFeed = RedisChangeFeed(client, redis_prefix)
    other = redis_client()
    try:
        reader = RedisChangeFeed(other, redis_prefix)
        writer.publish(7)
        assert reader.current() == 7
    finally:
        other.close()


def test_serial_never_moves_backwards(client: Any, redis_prefix: str) -> None:
    feed = RedisChangeFeed(client, redis_prefix)
    feed.publish(10)
    feed.publish(3)
    feed.publish(10)
    assert feed.current() == 10


def test_concurrent_publishers_end_at_the_maximum(redis_prefix: str) -> None:
    clients = [redis_client() for _ in range(4)]
    feeds = [RedisChangeFeed(c, redis_prefix) for c in clients]
    seen_backwards: list[tuple[int, int]] = []
    reader = RedisChangeFeed(clients[0], redis_prefix)

    def publish(feed: RedisChangeFeed, start: int) -> None:
        last = 0
        # Interleaved serials, published out of order across threads.
        for serial in range(start, 400, 4):
            feed.publish(serial)
            now = reader.current()
            if now < last:
                seen_backwards.append((last, now))
            last = now

    threads = [threading.Thread(target=publish, args=(f, i)) for i, f in enumerate(feeds)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    try:
        assert reader.current() == 399
        assert seen_backwards == []
    finally:
        for c in clients:
            c.close()


def test_prefixes_keep_indexes_apart(client: Any, redis_prefix: str) -> None:
    RedisChangeFeed(client, redis_prefix + "a:").publish(5)
    assert RedisChangeFeed(client, redis_prefix + "b:").current() == 0


def test_factory_chooses_redis_or_file(tmp_path: Any) -> None:
    redis_feed = open_change_feed(load_settings(environ={"STRONGROOM_REDIS_URL": REDIS_URL}))
    assert isinstance(redis_feed, RedisChangeFeed)
    redis_feed.client.close()
    file_feed = open_change_feed(load_settings(environ={"STRONGROOM_DATA_DIR": str(tmp_path)}))
    assert isinstance(file_feed, FileChangeFeed)
    assert file_feed.path == tmp_path / "serial"
