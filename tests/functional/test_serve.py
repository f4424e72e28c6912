"""``strongroom serve`` says it serves only once its port is bound, and a port another process
holds is one clear error before anything starts."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from tests.functional.server import STRONGROOM, free_port, stop_process

pytestmark = pytest.mark.functional


def _env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith("STRONGROOM_")}


@pytest.mark.parametrize("workers", ["1", "2"])
def test_a_taken_port_is_one_line_and_a_non_zero_exit(tmp_path: Path, workers: str) -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = subprocess.run(
            [*STRONGROOM, "serve", "--data-dir", str(tmp_path / "data"), "--port", str(port),
             "--workers", workers],
            env=_env(), capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 5, result.stderr
    assert result.stderr == (f"error: cannot listen on 127.0.0.1:{port}: the port is in use "
                             "(another server is running there; choose another with --port)\n")
    assert not (tmp_path / "data").exists()  # refused before it made an index


def test_serving_is_announced_once_the_port_takes_connections(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [*STRONGROOM, "serve", "--data-dir", str(tmp_path / "data"), "--port", str(port)],
            env=_env(), stdout=sink, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 30
        while "serving" not in log.read_text():
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.01)
        # No retry: the moment it says so, a client can connect and be answered.
        with socket.create_connection(("127.0.0.1", port), timeout=10) as client:
            client.sendall(b"GET /simple/ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            assert client.recv(12) == b"HTTP/1.1 200"
    finally:
        stop_process(process)
    assert f"on http://127.0.0.1:{port}/" in log.read_text()
