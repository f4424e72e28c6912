"""Rendering untrusted long descriptions in worker processes, each render under a deadline.

A description is the uploader's text, and its renderers (docutils, the Markdown renderer) can
take seconds or minutes on a few kilobytes crafted for it, or fail deep in their own code. In
the server's own process such a render would hold a thread and the interpreter's lock for as
long as it runs, with no way to stop it. Here each render goes to one of a few worker processes
(``worker.py``): one that does not answer within the timeout is killed and replaced, and the
upload is refused with a problem that says why. The size of a description is bounded before it
gets here, by the 1 MiB limit on the metadata file that carries it.

Renders are remembered by the description's digest in a cache bounded in bytes: the wheels of
one release share their README, and the worker's round trip is the costly part.
"""

from __future__ import annotations

import hashlib
import json
import os
import select
import subprocess
import sys
import threading
import time
from collections import OrderedDict

from strongroom.domain.readme import RenderedDescription, not_rendered, parse_content_type
from strongroom.domain.rules import DESCRIPTION
from strongroom.errors import Problem, Unavailable
from strongroom.rendering.frames import HEADER, READY, frame

WORKER_COMMAND = (sys.executable, "-m", "strongroom.rendering.worker")
DEFAULT_TIMEOUT = 5.0  # seconds a render may take
DEFAULT_PROCESSES = 2
_START_TIMEOUT = 30.0  # seconds for a new worker to import its renderers
DEFAULT_QUEUE_TIMEOUT = 60.0  # seconds to wait for a free worker
_CACHE_BYTES = 16 * 1024 * 1024
_ENTRY_OVERHEAD = 200  # bytes an entry costs beyond its text, roughly
_MAX_REPLY = 64 * 1024 * 1024


class _TimedOut(Exception):
    """The worker did not answer in time."""


class _Broken(Exception):
    """The worker went away or answered nonsense."""


class _Worker:
    """One worker process and the pipes to it, used by one thread at a time."""

    def __init__(self, command: tuple[str, ...]) -> None:
        self.ready = False  # its READY frame read
        child_in, self._to = os.pipe()
        self._from, child_out = os.pipe()
        try:
            # Standard error is inherited: a worker that cannot start says why in the log.
            self.process = subprocess.Popen(command, stdin=child_in, stdout=child_out)  # noqa: S603 - our own module, by absolute interpreter path
        except OSError:
            self._close()
            raise
        finally:
            os.close(child_in)
            os.close(child_out)
        os.set_blocking(self._to, False)
        os.set_blocking(self._from, False)

    def exchange(self, request: bytes | None, deadline: float) -> bytes:
        """Send ``request`` (None: send nothing) and return the next reply's payload.

        Raises _TimedOut at ``deadline`` (``time.monotonic()``), _Broken if the worker dies.
        """
        pending = memoryview(frame(request) if request is not None else b"")
        poller = select.poll()
        poller.register(self._from, select.POLLIN)
        if pending:
            poller.register(self._to, select.POLLOUT)
        received = bytearray()
        while True:
            if len(received) >= HEADER.size:
                (length,) = HEADER.unpack_from(received)
                if length > _MAX_REPLY:
                    raise _Broken
                if len(received) >= HEADER.size + length:
                    return bytes(received[HEADER.size:HEADER.size + length])
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise _TimedOut
            for fd, _event in poller.poll(remaining * 1000):
                if fd == self._to:
                    pending = pending[self._write(pending):]
                    if not pending:
                        poller.unregister(self._to)
                else:
                    received += self._read()

    def _write(self, data: memoryview) -> int:
        try:
            return os.write(self._to, data)
        except BlockingIOError:
            return 0
        except OSError as exc:  # a broken pipe: the worker is gone
            raise _Broken from exc

    def _read(self) -> bytes:
        try:
            chunk = os.read(self._from, 1024 * 1024)
        except BlockingIOError:
            return b""
        if not chunk:
            raise _Broken
        return chunk

    def kill(self) -> None:
        """Stop the process at once and reap it."""
        self.process.kill()
        self.process.wait()
        self._close()

    def _close(self) -> None:
        os.close(self._to)
        os.close(self._from)


class _RenderCache:
    """Renders by key, least recently used first out, within a byte budget."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        self._entries: OrderedDict[bytes, tuple[RenderedDescription, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: bytes) -> RenderedDescription | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            self._entries.move_to_end(key)
            return entry[0]

    def put(self, key: bytes, rendered: RenderedDescription) -> None:
        problem = rendered.problem.reason if rendered.problem else ""
        size = len(rendered.html or "") + len(problem) + _ENTRY_OVERHEAD
        if size > self.max_bytes:
            return
        with self._lock:
            if key in self._entries:
                return
            self._entries[key] = (rendered, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _, (_, dropped) = self._entries.popitem(last=False)
                self._bytes -= dropped


class ReadmeSandbox:
    """A ``DescriptionRenderer`` that renders in up to ``processes`` worker processes.

    A render that takes longer than ``timeout`` seconds becomes a problem ("took longer than
    ..."), and its worker is killed. Raises Unavailable when no worker frees up within
    ``queue_timeout`` seconds or a worker cannot be started. Workers start when needed (or
    one ahead, with ``start()``) and are replaced when they die; ``close()`` stops them.
    """

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT,
                 processes: int = DEFAULT_PROCESSES,
                 queue_timeout: float = DEFAULT_QUEUE_TIMEOUT,
                 command: tuple[str, ...] = WORKER_COMMAND,
                 cache_bytes: int = _CACHE_BYTES) -> None:
        self.timeout = timeout
        self.processes = processes
        self.queue_timeout = queue_timeout
        self._command = command
        self._cache = _RenderCache(cache_bytes)
        self._idle: list[_Worker] = []
        self._alive = 0
        self._closed = False
        self._changed = threading.Condition()

    def __call__(self, description: str | None, content_type: str | None) -> RenderedDescription:
        if not description:
            return RenderedDescription(None, None)
        request = json.dumps({"description": description, "content_type": content_type}).encode()
        key = hashlib.sha256(request).digest()  # the request names the render
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        mime, _ = parse_content_type(content_type)
        worker = self._acquire()
        self._await_ready(worker)
        try:
            reply = worker.exchange(request, time.monotonic() + self.timeout)
            answer = json.loads(reply)
        except _TimedOut:
            self._discard(worker)
            return RenderedDescription(None, not_rendered(
                mime, f"rendering took longer than {self.timeout:g} seconds, the most this "
                      "index allows"))
        except (_Broken, ValueError):
            self._discard(worker)
            return RenderedDescription(None, not_rendered(mime, "its renderer stopped"))
        self._release(worker)
        problem = answer["problem"]
        rendered = RenderedDescription(
            answer["html"],
            Problem("description", problem, DESCRIPTION) if problem is not None else None)
        self._cache.put(key, rendered)
        return rendered

    def _acquire(self) -> _Worker:
        deadline = time.monotonic() + self.queue_timeout
        with self._changed:
            if self._closed:
                raise Unavailable("The server is shutting down; try the upload again shortly.")
            while not self._idle and self._alive >= self.processes:
                remaining = deadline - time.monotonic()
                if self._closed or remaining <= 0:
                    raise Unavailable("The server is busy rendering other descriptions; "
                                      "try the upload again shortly.")
                self._changed.wait(remaining)
            idle = self._idle.pop() if self._idle else None
            if idle is None:
                self._alive += 1
        if idle is not None and idle.process.poll() is None:
            return idle
        if idle is not None:  # died while idle (the kernel's OOM killer, an admin): replace
            idle.kill()
        return self._spawn()

    def start(self) -> None:
        """Start a worker now, without waiting for it, when none runs: a server calls this as
        it starts, so that its first upload does not wait for a worker's imports. Raises
        Unavailable if it cannot be started."""
        with self._changed:
            if self._closed or self._alive:
                return
            self._alive += 1
        worker = self._spawn()
        self._release(worker)

    def _spawn(self) -> _Worker:
        """A new worker process, counted in ``_alive`` already; it may still be importing."""
        try:
            return _Worker(self._command)
        except OSError as exc:
            self._forget()
            raise Unavailable(f"The description renderer could not be started ({exc}).") from exc

    def _await_ready(self, worker: _Worker) -> None:
        """Wait for a new worker's ``READY``; Unavailable (the worker discarded) if it does
        not come within the start timeout."""
        if worker.ready:
            return
        try:
            worker.ready = worker.exchange(None, time.monotonic() + _START_TIMEOUT) == READY
        except (_TimedOut, _Broken):
            worker.ready = False
        if not worker.ready:
            self._discard(worker)
            raise Unavailable("The description renderer did not start; see the server's log.")

    def _release(self, worker: _Worker) -> None:
        with self._changed:
            if not self._closed:
                self._idle.append(worker)
                self._changed.notify()
                return
        self._discard(worker)

    def _discard(self, worker: _Worker) -> None:
        worker.kill()
        self._forget()

    def _forget(self) -> None:
        with self._changed:
            self._alive -= 1
            self._changed.notify()

    def close(self) -> None:
        """Stop the idle workers now and busy ones when their render ends."""
        with self._changed:
            self._closed = True
            idle, self._idle = self._idle, []
            self._changed.notify_all()
        for worker in idle:
            worker.kill()
        with self._changed:
            self._alive -= len(idle)
