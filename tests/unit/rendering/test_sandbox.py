"""The README sandbox renders as the renderers do, in worker processes it kills when a render
takes too long, and never lets one description hold up another."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from strongroom.domain.readme import render_description
from strongroom.errors import Unavailable
from strongroom.rendering import ReadmeSandbox

SLOW_MARKDOWN = "> " * 40000 + "x"  # seconds in the Markdown renderer
DEEP_RST = "".join(" " * i + "x\n\n" for i in range(200))  # RecursionError in docutils


@pytest.fixture
def sandbox() -> Iterator[ReadmeSandbox]:
    box = ReadmeSandbox(timeout=1.0, processes=2)
    yield box
    box.close()


@pytest.mark.parametrize(("description", "content_type"), [
    ("Title\n=====\n\n*emphasis*\n", None),
    ("# Hi\n\n<script>alert(1)</script>\n", "text/markdown"),
    ("| a |\n|---|\n| b |\n", "text/markdown; variant=CommonMark"),
    ("a <b> c", "text/plain"),
    ("Broken\n===\n\n:unknownrole:`x`\n", "text/x-rst"),
    ("hello", "text/html"),
    ("", None),
])
def test_renders_what_the_renderers_render(sandbox: ReadmeSandbox, description: str,
                                           content_type: str | None) -> None:
    assert sandbox(description, content_type) == render_description(description, content_type)


def test_a_slow_render_is_refused_at_the_deadline_and_the_worker_replaced(
        sandbox: ReadmeSandbox) -> None:
    sandbox("warm", None)  # a worker started, so the deadline measures the render alone
    started = time.monotonic()
    rendered = sandbox(SLOW_MARKDOWN, "text/markdown")
    assert time.monotonic() - started < 3
    assert rendered.html is None
    assert rendered.problem is not None
    assert "rendering took longer than 1 seconds" in rendered.problem.reason
    assert sandbox("# after", "text/markdown").html is not None


@pytest.mark.alone  # the niced worker must fail within the 1 s timeout: no other test's load
def test_a_renderer_that_fails_is_a_problem_not_an_exception(sandbox: ReadmeSandbox) -> None:
    rendered = sandbox(DEEP_RST, None)
    assert rendered.problem is not None
    assert "its renderer failed with RecursionError" in rendered.problem.reason


@pytest.mark.alone  # the quick render's bound is on the sandbox, not on other tests' load
def test_one_slow_description_does_not_hold_up_another(sandbox: ReadmeSandbox) -> None:
    sandbox("warm", None)
    slow = threading.Thread(target=sandbox, args=(SLOW_MARKDOWN, "text/markdown"))
    slow.start()
    time.sleep(0.2)
    started = time.monotonic()
    assert sandbox("*quick*", None).html == "<p><em>quick</em></p>\n"
    assert time.monotonic() - started < 0.9  # answered before the slow one's deadline
    slow.join()


def test_a_worker_that_died_while_idle_is_replaced(sandbox: ReadmeSandbox) -> None:
    sandbox("warm", None)
    for worker in list(sandbox._idle):
        worker.process.kill()
        worker.process.wait()
    assert sandbox("*still*", None).html == "<p><em>still</em></p>\n"


def test_no_free_worker_within_the_queue_timeout_is_unavailable() -> None:
    box = ReadmeSandbox(timeout=2.0, processes=1, queue_timeout=0.3)
    try:
        box("warm", None)
        slow = threading.Thread(target=box, args=(SLOW_MARKDOWN, "text/markdown"))
        slow.start()
        time.sleep(0.2)
        with pytest.raises(Unavailable, match="busy rendering other descriptions"):
            box("*waits*", None)
        slow.join()
    finally:
        box.close()


def test_renders_are_cached_within_their_byte_budget() -> None:
    box = ReadmeSandbox(cache_bytes=4000)
    try:
        for i in range(20):
            box(f"{'x' * 500} {i}", "text/plain")
        assert 0 < box._cache._bytes <= 4000
        entries = len(box._cache._entries)
        assert 0 < entries < 20
        box("x" * 10_000, "text/plain")  # larger than the whole budget: not kept
        assert len(box._cache._entries) == entries
    finally:
        box.close()


def test_a_closed_sandbox_refuses() -> None:
    box = ReadmeSandbox()
    box("warm", None)
    box.close()
    with pytest.raises(Unavailable):
        box("*late*", None)


def test_a_worker_started_ahead_serves_the_first_render() -> None:
    box = ReadmeSandbox()
    try:
        box.start()
        box.start()  # one is running: no second
        assert box._alive == 1
        assert box("*first*", None).html == "<p><em>first</em></p>\n"
        assert box._alive == 1
    finally:
        box.close()
