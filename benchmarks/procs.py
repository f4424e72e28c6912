"""Processes the harness starts: free ports, readiness, clean stops and peak memory."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

_PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def run(argv: Sequence[str], *, env: dict[str, str] | None = None, stdin: str | None = None,
        timeout: float | None = None) -> str:
    """Run a program the harness chose (never user input); its stdout. RuntimeError on failure,
    with the end of its stderr."""
    done = subprocess.run(  # noqa: S603
        list(argv), input=stdin, capture_output=True, text=True, env=env, timeout=timeout,
        check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:3])} ... exited {done.returncode}:\n"
                           f"{done.stderr[-3000:]}{done.stdout[-1000:]}")
    return done.stdout


def ensure_tools(*tools: str) -> None:
    """Install the Debian packages of ``tools`` (same names) when they are missing."""
    missing = [tool for tool in tools
               if shutil.which(tool) is None and not Path(f"/usr/sbin/{tool}").exists()]
    if missing:
        print(f"installing {', '.join(missing)} with apt-get", flush=True)
        run(["apt-get", "install", "-y", "-q", *missing])


def free_port() -> int:
    """An unused TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Service:
    """A started process group; ``stop`` ends exactly that group."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    @classmethod
    def start(cls, name: str, argv: list[str], log: Path, env: dict[str, str] | None = None,
              cwd: Path | None = None) -> Service:
        """Start ``argv`` in a new session, output to ``log``."""
        with log.open("ab") as out:
            process = subprocess.Popen(  # noqa: S603
                argv, stdout=out, stderr=subprocess.STDOUT, env=env,
                                       cwd=cwd, start_new_session=True)
        return cls(name, process, log)

    def wait_http(self, url: str, timeout: float = 60) -> None:
        """Return once ``url`` answers at all; raise with the log if the process dies first."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited:\n{self.log.read_text()[-3000:]}")
            try:
                httpx.get(url, timeout=2)
            except httpx.TransportError:
                time.sleep(0.2)
                continue
            return
        raise RuntimeError(f"{self.name} did not answer {url} in {timeout} s")

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL after 10 s."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def tree_rss(roots: list[int]) -> int:
    """Resident bytes of ``roots`` and all their descendants, now."""
    tree, total, todo = _children(), 0, list(roots)
    while todo:
        pid = todo.pop()
        todo += tree.get(pid, [])
        try:
            resident = int(Path(f"/proc/{pid}/statm").read_text().split()[1])
        except (OSError, IndexError, ValueError):
            continue
        total += resident * _PAGE_SIZE
    return total


def tree_hwm(roots: list[int]) -> int:
    """The largest VmHWM (a process's own peak resident size since it started) among ``roots``
    and their descendants, in bytes."""
    tree, largest, todo = _children(), 0, list(roots)
    while todo:
        pid = todo.pop()
        todo += tree.get(pid, [])
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        peak = next((line.split()[1] for line in status.splitlines()
                     if line.startswith("VmHWM:")), "0")
        largest = max(largest, int(peak) * 1024)
    return largest


@dataclass
class PeakRss:
    """Samples a process tree's RSS every ``interval`` seconds while in a ``with`` block."""

    roots: list[int]
    interval: float = 0.25
    peak: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, tree_rss(self.roots))
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakRss:
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        self._thread.join()
