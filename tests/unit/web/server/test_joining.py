"""The joining transport: a response's head and body leave in one write, and nothing is lost,
reordered or held past the event loop's turn. Every case runs over a real socket pair, with
the real transport's writes counted on their way through."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
import uvloop

from strongroom.web.server.joining import JoiningTransport

HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\n"


class CountingTransport(asyncio.Transport):
    """A real transport, with the bytes of each write it is asked for remembered."""

    def __init__(self, transport: asyncio.Transport) -> None:
        super().__init__()
        self.transport = transport
        self.writes: list[bytes] = []

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))
        self.transport.write(data)

    def close(self) -> None:
        self.transport.close()

    def is_closing(self) -> bool:
        return self.transport.is_closing()

    def get_write_buffer_size(self) -> int:
        return self.transport.get_write_buffer_size()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.transport.get_extra_info(name, default)


Scenario = Callable[[JoiningTransport, CountingTransport], Awaitable[None]]


def _run(scenario: Scenario) -> tuple[list[bytes], bytes]:
    """Run ``scenario`` on one end of a socket pair, under asyncio's loop and uvloop's (which
    uvicorn uses); the writes made and what the peer read, the same under both."""
    loops = (asyncio.new_event_loop, uvloop.new_event_loop)
    runs = {_run_on(scenario, factory) for factory in loops}
    assert len(runs) == 1, runs
    writes, received = runs.pop()
    return list(writes), received


def _run_on(scenario: Scenario, loop_factory: Callable[[], asyncio.AbstractEventLoop]
            ) -> tuple[tuple[bytes, ...], bytes]:
    ours, peer = socket.socketpair()

    async def main() -> list[bytes]:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
        counting = CountingTransport(transport)
        joining = JoiningTransport(counting, loop)
        await scenario(joining, counting)
        joining.close()
        await asyncio.sleep(0)
        return counting.writes

    with peer, asyncio.Runner(loop_factory=loop_factory) as runner:
        writes = runner.run(main())
        received = b""
        while chunk := peer.recv(65536):
            received += chunk
    return tuple(writes), received


def test_head_and_body_leave_in_one_write() -> None:
    async def respond(joining: JoiningTransport, counting: CountingTransport) -> None:
        joining.write(HEAD)
        assert counting.writes == []  # the head waits for its body
        joining.write(b"hello")

    writes, received = _run(respond)
    assert writes == [HEAD + b"hello"]
    assert received == HEAD + b"hello"


def test_a_head_without_body_leaves_at_the_end_of_the_turn() -> None:
    async def respond(joining: JoiningTransport, counting: CountingTransport) -> None:
        joining.write(HEAD)  # HEAD requests and 304s send no body after it
        await asyncio.sleep(0)
        assert counting.writes == [HEAD]

    writes, received = _run(respond)
    assert writes == [HEAD]
    assert received == HEAD


def test_a_large_write_is_not_held() -> None:
    chunk = b"x" * 100_000

    async def respond(joining: JoiningTransport, counting: CountingTransport) -> None:
        joining.write(chunk)
        assert counting.writes == [chunk]

    writes, received = _run(respond)
    assert writes == [chunk]
    assert received == chunk


def test_streamed_writes_keep_their_order() -> None:
    parts = [HEAD, b"a", b"b" * 10_000, b"c", b"d"]

    async def respond(joining: JoiningTransport, counting: CountingTransport) -> None:
        for part in parts[:3]:
            joining.write(part)
        await asyncio.sleep(0)
        for part in parts[3:]:
            joining.write(part)

    writes, received = _run(respond)
    assert writes == [HEAD + b"a", b"b" * 10_000, b"cd"]
    assert received == b"".join(parts)


def test_close_sends_what_is_held_first() -> None:
    async def respond(joining: JoiningTransport, counting: CountingTransport) -> None:
        joining.write(HEAD)
        joining.close()  # a connection: close response ends right after its head
        assert counting.writes == [HEAD]

    writes, received = _run(respond)
    assert writes == [HEAD]
    assert received == HEAD


@pytest.mark.parametrize("size", [0, 1, 4096])
def test_held_bytes_count_in_the_write_buffer(size: int) -> None:
    async def respond(joining: JoiningTransport, counting: CountingTransport) -> None:
        joining.write(b"y" * size)
        assert joining.get_write_buffer_size() == size + counting.get_write_buffer_size()

    _, received = _run(respond)
    assert received == b"y" * size
