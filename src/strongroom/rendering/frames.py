"""The framing between ``ReadmeSandbox`` and its worker processes: a 4-byte big-endian length,
then that many bytes of JSON. The worker's first frame is ``READY``."""

from __future__ import annotations

import struct
from typing import BinaryIO

HEADER = struct.Struct(">I")
READY = b"{}"


def frame(payload: bytes) -> bytes:
    """``payload`` with its length in front."""
    return HEADER.pack(len(payload)) + payload


def read_frame(source: BinaryIO) -> bytes | None:
    """The next frame's payload from a blocking stream; None at the end of the stream."""
    header = source.read(HEADER.size)
    if len(header) < HEADER.size:
        return None
    (length,) = HEADER.unpack(header)
    payload = source.read(length)
    return payload if len(payload) == length else None
