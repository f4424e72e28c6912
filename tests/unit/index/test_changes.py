"""FileChangeFeed: monotonic, atomic, shared between instances on one file."""

from __future__ import annotations

import threading
from pathlib import Path

from strongroom.index import ChangeFeed, FileChangeFeed


def test_empty_feed_is_zero(tmp_path: Path) -> None:
    assert FileChangeFeed(tmp_path / "serial").current() == 0


def test_publish_moves_forward_only(tmp_path: Path) -> None:
    feed = FileChangeFeed(tmp_path / "sub" / "serial")
    feed.publish(5)
    assert feed.current() == 5
    feed.publish(3)
    assert feed.current() == 5
    feed.publish(6)
    assert feed.current() == 6
    assert (tmp_path / "sub" / "serial").read_text() == "5\n6\n"


def test_other_instances_see_the_change(tmp_path: Path) -> None:
    writer = FileChangeFeed(tmp_path / "serial")
    reader = FileChangeFeed(tmp_path / "serial")
    assert reader.current() == 0
    for serial in range(1, 50):
        writer.publish(serial)
        assert reader.current() == serial


def test_concurrent_publishers_keep_the_maximum(tmp_path: Path) -> None:
    feeds = [FileChangeFeed(tmp_path / "serial") for _ in range(4)]

    def publish_all(feed: ChangeFeed, start: int) -> None:
        for serial in range(start, 400, 4):
            feed.publish(serial)

    threads = [threading.Thread(target=publish_all, args=(f, i)) for i, f in enumerate(feeds)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert FileChangeFeed(tmp_path / "serial").current() == 399


def test_a_full_feed_is_compacted_to_its_last_serial(tmp_path: Path) -> None:
    writer = FileChangeFeed(tmp_path / "serial", compact_at=15)
    reader = FileChangeFeed(tmp_path / "serial")
    for serial in range(1, 8):
        writer.publish(serial)
        assert reader.current() == serial
    # 1..7 take 14 bytes; 8 would pass 15, so the file starts again from "8".
    writer.publish(8)
    assert (tmp_path / "serial").read_text() == "8\n"
    assert reader.current() == 8


def test_a_torn_last_line_is_not_read(tmp_path: Path) -> None:
    feed = FileChangeFeed(tmp_path / "serial")
    feed.publish(41)
    with (tmp_path / "serial").open("ab") as raw:
        raw.write(b"42")  # a line without its newline: not yet a serial
    assert FileChangeFeed(tmp_path / "serial").current() == 41
