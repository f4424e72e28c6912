"""A live Strongroom server on loopback, started the way a user starts it: ``strongroom serve``;
and, for tests of the HTTP protocol alone, a bare uvicorn server in a thread (``serving``)."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import uvicorn
from starlette.types import ASGIApp

from tests.databases import fresh_database

STRONGROOM = [sys.executable, "-m", "strongroom"]


# Ports for the tests' servers: below Linux's ephemeral range (32768-60999), from which the
# clients' own ends of connections and the kernel's choices for port 0 come.
SERVER_PORTS = range(15000, 32768)


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now, for a server about to start. Under
    pytest-xdist each worker takes only the ports of its own residue modulo the number of
    workers, so that two workers never pick the same port in the moment between choosing it
    and their servers binding it."""
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw"))
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    mine = SERVER_PORTS[worker::workers]
    while True:
        port = mine[secrets.randbelow(len(mine))]
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:  # in use, or lingering after a close: try another
                continue
        return port


@contextmanager
def serving(app: ASGIApp, http: object) -> Iterator[int]:
    """A uvicorn server for ``app`` with the HTTP protocol ``http``, on a free port."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, http=http, lifespan="off",
                            log_level="warning", server_header=False, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


def wait_until_serving(url: str, process: subprocess.Popen[bytes], log: Path, *,
                       timeout: float, path: str = "/simple/") -> None:
    """Poll ``url`` + ``path`` until it answers; fail with the log if the process dies or hangs."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{url} exited:\n{log.read_text(errors='replace')}")
        try:
            httpx.get(f"{url}{path}", timeout=1)
        except httpx.TransportError:
            time.sleep(0.1)
            continue
        return
    raise AssertionError(f"{url} did not start:\n{log.read_text(errors='replace')}")


def stop_process(process: subprocess.Popen[bytes], *, grace: float = 15) -> None:
    """Terminate, then kill if it has not exited within ``grace`` seconds."""
    process.terminate()
    try:
        process.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class LiveIndex:
    """A running index and the means to administer it through its own CLI."""

    data_dir: Path
    database_url: str
    port: int
    log_path: Path
    # More STRONGROOM_* variables for the server and its CLI (limits, for instance).
    extra_env: dict[str, str] = field(default_factory=dict)
    # Without it the server answers warm reads in its HTTP protocol, as it does by default.
    access_log: bool = True
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["STRONGROOM_DATABASE_URL"] = self.database_url
        env.update(self.extra_env)
        return env

    def cli(self, *args: str, stdin: str | None = None, check: bool = True
            ) -> subprocess.CompletedProcess[str]:
        """Run ``strongroom <args> --data-dir <this index's>``."""
        result = subprocess.run(
            [*STRONGROOM, *args, "--data-dir", str(self.data_dir)],
            input=stdin, capture_output=True, text=True, env=self.env, timeout=120, check=False,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"strongroom {' '.join(args)} failed:\n{result.stderr}")
        return result

    def create_user(self, username: str) -> None:
        self.cli("admin", "user", "create", username, "--email", f"{username}@example.org",
                 "--password-stdin", stdin="a long enough password\n")

    def token(self, username: str, *extra: str) -> str:
        return self.cli("admin", "token", "create", "--user", username, *extra).stdout.strip()

    def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [*STRONGROOM, "serve", "--data-dir", str(self.data_dir), "--port", str(self.port),
                 *(["--access-log"] if self.access_log else [])],
                stdout=log, stderr=subprocess.STDOUT, env=self.env,
            )
        wait_until_serving(self.url, self.process, self.log_path, timeout=30)

    def stop(self) -> None:
        if self.process is not None:
            stop_process(self.process)
            self.process = None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextmanager
def running_index(backend: str, root: Path, *, extra_env: dict[str, str] | None = None,
                  access_log: bool = True, public_host: str | None = None
                  ) -> Iterator[LiveIndex]:
    """A ``strongroom serve`` on a fresh database of ``backend``, its state under ``root``.
    With ``public_host`` (``localhost`` for a browser's WebAuthn) its base URL names that
    host and the server's port."""
    port = free_port()
    env = dict(extra_env or {})
    if public_host is not None:
        env["STRONGROOM_BASE_URL"] = f"http://{public_host}:{port}"
    with fresh_database(backend, root) as url:
        live = LiveIndex(data_dir=root / "data", database_url=url, port=port,
                         log_path=root / "server.log", extra_env=env,
                         access_log=access_log)
        live.start()
        try:
            yield live
        finally:
            live.stop()
