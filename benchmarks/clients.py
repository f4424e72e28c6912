"""Timing real clients: twine uploading and uv installing, each in an isolated environment."""

from __future__ import annotations

import sys
import time
from collections.abc import Sequence
from pathlib import Path

from benchmarks.procs import run
from benchmarks.servers import isolated_env

_BIN = Path(sys.executable).parent


def twine_upload_seconds(repository_url: str, username: str, password: str,
                         files: Sequence[Path], *, timeout: float) -> float:
    """Upload ``files`` in one ``twine upload``; the wall-clock seconds it took."""
    argv = [str(_BIN / "twine"), "upload", "--non-interactive", "--disable-progress-bar",
            "--repository-url", repository_url, "-u", username, "-p", password,
            *map(str, files)]
    started = time.perf_counter()
    run(argv, env=isolated_env(), timeout=timeout)
    return time.perf_counter() - started


def uv_install_seconds(index_url: str, packages: Sequence[str], scratch: Path, *,
                       timeout: float) -> float:
    """``uv pip install`` ``packages`` into a new venv with a cold cache; the seconds it took."""
    scratch.mkdir(parents=True, exist_ok=True)
    # Slow peers answer a page in seconds under uv's parallel requests; give them time.
    env = isolated_env(UV_CACHE_DIR=str(scratch / "cache"), UV_HTTP_TIMEOUT="300")
    uv = str(_BIN / "uv")
    venv = scratch / "venv"
    run([uv, "venv", "--quiet", "--python", sys.executable, str(venv)], env=env, timeout=timeout)
    argv = [uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
            "--index-url", index_url, *packages]
    started = time.perf_counter()
    run(argv, env=env, timeout=timeout)
    return time.perf_counter() - started
