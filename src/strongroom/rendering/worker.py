"""The process that renders long descriptions for ``ReadmeSandbox``:
``python -m strongroom.rendering.worker``.

It writes to what was its standard output and reads from standard input, a frame at a time
(frames.py). Once its renderers are imported it writes ``READY``; then it answers each request
with one reply. A request is
``{"description": str, "content_type": str | null}``; a reply ``{"html": str | null,
"problem": str | null}`` (the problem's reason; its field is always ``description``). Standard
output itself is pointed at /dev/null first, so nothing a renderer prints can break a frame.

The process confines itself before reading anything: an address-space limit, so that a
description cannot take the machine's memory (the renderer then fails with MemoryError, which
``render_description`` reports as a problem), and a lower scheduling priority, so that renders
yield the CPU to the server's requests. It exits at the end of its input, which is also what it
sees when the server that started it dies.
"""

from __future__ import annotations

import json
import os
import resource
import sys

from strongroom.domain.readme import prepare, render_description
from strongroom.rendering.frames import READY, frame, read_frame

MEMORY_LIMIT = 1024 * 1024 * 1024  # bytes of address space
NICENESS = 10


def _confine() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    os.nice(NICENESS)


def _reply(request: bytes) -> bytes:
    ask = json.loads(request)
    rendered = render_description(ask["description"], ask["content_type"])
    problem = rendered.problem.reason if rendered.problem is not None else None
    return json.dumps({"html": rendered.html, "problem": problem}).encode()


def main() -> None:
    """Serve requests until standard input ends."""
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "wb")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)
    _confine()
    prepare()
    with replies:
        replies.write(frame(READY))
        replies.flush()
        while (request := read_frame(sys.stdin.buffer)) is not None:
            replies.write(frame(_reply(request)))
            replies.flush()


if __name__ == "__main__":
    main()
