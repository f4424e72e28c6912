"""Starting and loading each server under test, every one on its own loopback port.

A ``Target`` is what the load generator needs: a base URL, the simple API's path, the processes
whose memory counts, and what the server supports. Peers live in their own virtual environments
under ``.venv-peers/``, installed on first use.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import nginx
from benchmarks.procs import Service, free_port, run

REPO = Path(__file__).resolve().parents[1]
PEERS = REPO / ".venv-peers"
STRONGROOM = [sys.executable, "-m", "strongroom"]
PASSWORD = "benchmark password"  # noqa: S105 (a throwaway local account)
_PEER_PACKAGES = {"pypiserver": ["pypiserver", "passlib"],
                  "devpi": ["devpi-server", "devpi-client"]}


@dataclass
class Target:
    """A running server as the load generator sees it."""

    name: str
    base: str
    simple: str
    services: list[Service]
    projects: int
    json: bool = True
    note: str = ""
    # An API token every request carries (HTTP Basic, as pip sends one), for private indexes.
    token: str | None = None

    @property
    def headers(self) -> dict[str, str]:
        """Headers every request to this server carries."""
        if self.token is None:
            return {}
        basic = base64.b64encode(f"__token__:{self.token}".encode()).decode()
        return {"Authorization": f"Basic {basic}"}

    @property
    def index_url(self) -> str:
        """The simple API's root as an installer is given it (with the token, if any)."""
        base = self.base
        if self.token is not None:
            base = base.replace("://", f"://__token__:{self.token}@", 1)
        return f"{base}{self.simple}/"

    @property
    def pids(self) -> list[int]:
        """The root processes whose trees' memory is counted."""
        return [s.process.pid for s in self.services]

    def stop(self) -> None:
        """Stop every process of this target, front first."""
        for service in self.services:
            service.stop()

    def __enter__(self) -> Target:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def isolated_env(**extra: str) -> dict[str, str]:
    """The environment with this machine's pip/uv configuration switched off."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "UV_", "STRONGROOM_", "TWINE_"))}
    return {**env, "PIP_CONFIG_FILE": os.devnull, "UV_NO_CONFIG": "1", **extra}


def peer_bin(peer: str, program: str) -> Path:
    """``program`` from the peer's venv, creating the venv from PyPI on first use."""
    venv = PEERS / peer
    if not (venv / "bin" / program).exists():
        PEERS.mkdir(exist_ok=True)
        (PEERS / ".gitignore").write_text("*\n")
        run([sys.executable, "-m", "venv", str(venv)])
        run([str(venv / "bin" / "pip"), "install", "--quiet", "--isolated",
             *_PEER_PACKAGES[peer]], env=isolated_env())
    return venv / "bin" / program


def serve_supports_workers(env: dict[str, str] | None = None) -> bool:
    """Whether the Strongroom that ``python -m strongroom`` imports in ``env`` (default: this
    process's environment) has a ``serve`` that takes ``--workers``."""
    return "--workers" in run([*STRONGROOM, "serve", "--help"], env=env)


@contextmanager
def postgres_database(server_url: str, name: str) -> Iterator[str]:
    """Create the empty database ``name`` on the PostgreSQL server at ``server_url``; yield its
    URL and drop it (connections and all) on the way out."""
    psql = ["psql", "-q", server_url + "/postgres", "-c"]
    run([*psql, f"CREATE DATABASE {name}"])
    try:
        yield f"{server_url}/{name}"
    finally:
        run([*psql, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"])


@dataclass
class StrongroomSite:
    """One Strongroom data directory (and database), loadable once and servable many times.

    ``pythonpath``, when given, is put first on the import path of every ``strongroom``
    command of the site, so that they run the build whose ``src`` it is (``benchmarks.builds``).
    """

    data_dir: Path
    database_url: str | None = None
    pythonpath: Path | None = None
    token: str = field(default="", init=False)

    @classmethod
    def new(cls, data_dir: Path, database_url: str | None = None,
            pythonpath: Path | None = None) -> StrongroomSite:
        """A site in the new folder ``data_dir``, with its user ``bench`` and token made."""
        site = cls(data_dir, database_url, pythonpath)
        data_dir.mkdir(parents=True)
        site.create()
        return site

    @property
    def env(self) -> dict[str, str]:
        """The environment every ``strongroom`` command of this site runs in."""
        extra = {"STRONGROOM_DATABASE_URL": self.database_url} if self.database_url else {}
        if self.pythonpath is not None:
            extra["PYTHONPATH"] = str(self.pythonpath)
        return isolated_env(**extra)

    def cli(self, *args: str, stdin: str | None = None) -> str:
        """Run ``strongroom <args> --data-dir <this site's>``; its standard output."""
        return run([*STRONGROOM, *args, "--data-dir", str(self.data_dir)], stdin=stdin,
                   env=self.env)

    def create(self) -> None:
        """Create the user ``bench`` and an API token for it."""
        self.cli("admin", "user", "create", "bench", "--email", "bench@example.org",
                 "--password-stdin", stdin=PASSWORD + "\n")
        self.token = self.cli("admin", "token", "create", "--user", "bench").strip()

    def measured_import(self, *paths: Path) -> tuple[float, int]:
        """``admin import`` of ``paths``: the command's seconds and its peak resident bytes
        (``wait4``'s ru_maxrss). Raises RuntimeError when it refuses anything."""
        argv = [*STRONGROOM, "admin", "import", *map(str, paths), "--user", "bench",
                "--data-dir", str(self.data_dir)]
        started = time.perf_counter()
        process = subprocess.Popen(argv, env=self.env, stdout=subprocess.DEVNULL,  # noqa: S603
                                   stderr=subprocess.PIPE)
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        errors = process.stderr.read().decode(errors="replace") if process.stderr else ""
        if process.returncode != 0:
            raise RuntimeError(f"admin import exited {process.returncode}:\n{errors[-3000:]}")
        return seconds, int(usage.ru_maxrss) * 1024

    def load(self, files: Sequence[Path]) -> None:
        """Publish ``files`` with ``admin import`` (validated like uploads)."""
        staging = self.data_dir.parent / f"{self.data_dir.name}-import"
        staging.mkdir(exist_ok=True)
        for path in files:
            (staging / path.name).symlink_to(path.resolve())
        self.cli("admin", "import", str(staging), "--user", "bench")
        shutil.rmtree(staging)

    def serve(self, name: str, log_dir: Path, projects: int, workers: int | None = None,
              server: str | None = None, *, private: bool = False) -> Target:
        """Start ``strongroom serve`` on a free port (with ``--server server`` when given; as a
        private index read with a read-only token when ``private``)."""
        port = free_port()
        argv = [*STRONGROOM, "serve", "--data-dir", str(self.data_dir), "--port", str(port)]
        if workers is not None:
            argv += ["--workers", str(workers)]
        if server is not None:
            argv += ["--server", server]
        env = {**self.env, "STRONGROOM_PRIVATE": "true"} if private else self.env
        token = self.cli("admin", "token", "create", "--user", "bench",
                         "--read-only").strip() if private else None
        service = Service.start(name, argv, log_dir / f"{name}.log", env=env)
        base = f"http://127.0.0.1:{port}"
        target = Target(name, base, "/simple", [service], projects, token=token)
        service.wait_http(base + "/simple/")  # a 401 is an answer too
        return target


def start_pypiserver(root: Path, files: Sequence[Path], projects: int) -> Target:
    """pypiserver over a directory holding ``files``, authentication off (uploads allowed)."""
    packages = root / "packages"
    packages.mkdir(parents=True, exist_ok=True)
    for path in files:
        shutil.copyfile(path, packages / path.name)
    port = free_port()
    argv = [str(peer_bin("pypiserver", "pypi-server")), "run", "-p", str(port), "-i", "127.0.0.1",
            "-a", ".", "-P", ".", str(packages)]
    service = Service.start("pypiserver", argv, root / "pypiserver.log", env=isolated_env())
    base = f"http://127.0.0.1:{port}"
    service.wait_http(base + "/simple/")
    return Target("pypiserver", base, "/simple", [service], projects, json=False,
                  note="no PEP 691 JSON, no PEP 658 metadata")


DEVPI_INDEX = "bench/dev"


def start_devpi(root: Path) -> Target:
    """devpi-server with an empty, base-less index ``bench/dev`` (no PyPI mirroring)."""
    server_dir = root / "server"
    run([str(peer_bin("devpi", "devpi-init")), "--serverdir", str(server_dir),
         "--root-passwd", PASSWORD], env=isolated_env())
    port = free_port()
    argv = [str(peer_bin("devpi", "devpi-server")), "--serverdir", str(server_dir),
            "--host", "127.0.0.1", "--port", str(port)]
    service = Service.start("devpi", argv, root / "devpi.log", env=isolated_env())
    base = f"http://127.0.0.1:{port}"
    service.wait_http(base + "/+api")
    client = isolated_env(DEVPI_CLIENTDIR=str(root / "client"))
    devpi = str(peer_bin("devpi", "devpi"))
    for args in (["use", base], ["login", "root", "--password", PASSWORD],
                 ["user", "-c", "bench", f"password={PASSWORD}"],
                 ["login", "bench", "--password", PASSWORD],
                 ["index", "-c", "dev", "bases=", "volatile=True"]):
        run([devpi, *args], env=client)
    return Target("devpi", base, f"/{DEVPI_INDEX}/+simple", [service], 0,
                  note="no ETag (no 304), no PEP 658 metadata")


def start_nginx(name: str, root: Path, config: str, port: int, extra: Sequence[Service] = ()
                ) -> Target:
    """nginx running ``config`` (from ``benchmarks.nginx``) on ``port``, in front of ``extra``."""
    conf = root / "nginx.conf"
    conf.write_text(config)
    service = Service.start(name, [nginx.binary(), "-p", str(root), "-c", str(conf)],
                            root / "nginx.log")
    base = f"http://127.0.0.1:{port}"
    service.wait_http(base + "/simple/")
    return Target(name, base, "/simple", [service, *extra], 0)
