"""A transport that sends a response's head and body in one write.

uvicorn writes a response's status line and headers when the app starts the response, and the
body when the app sends it: two ``send()`` calls, and usually two TCP segments, for every small
page, and the client wakes for each. ``JoiningTransport`` holds back a small write (a response's
head) until the next write, which goes out joined with it, or until the end of the event loop's
turn, whichever comes first. Order is kept and nothing waits past the current turn, so responses
without a body (HEAD, 304) and streamed bodies go out as before.

It uses nothing of uvicorn's: the adapter's protocol (protocol.py) hands it to uvicorn's
protocol in place of the event loop's transport.
"""

from __future__ import annotations

import asyncio
from typing import Any

_HOLD = 4096  # bytes: a response head is held back; a larger write goes out at once


class JoiningTransport(asyncio.Transport):
    """A transport that holds a small write until the next write or the end of the loop's turn."""

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        held = self._held
        if held is not None:
            self._held = None
            data = held + data
        elif len(data) <= _HOLD:
            self._held = bytes(data)
            self._loop.call_soon(self.flush)
            return
        self._transport.write(data)

    def flush(self) -> None:
        """Send what is held, if anything (the end of the loop's turn calls this)."""
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._held = None
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + len(self._held or b"")
