"""The index under each server it supports: ``strongroom serve`` with the server adapter (the
default), ``strongroom serve --server plain`` (stock uvicorn) and gunicorn with uvicorn-worker's
stock worker. On each, twine publishes, pip installs, and a refused upload's message reaches
twine's user: in the reason phrase, which twine prints, with the adapter; in the body, which
twine prints with ``--verbose``, without it."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.builders import make_wheel
from tests.functional.clients import pip_install, twine_upload
from tests.functional.server import (
    STRONGROOM,
    LiveIndex,
    free_port,
    wait_until_serving,
)

pytestmark = pytest.mark.functional

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
# The message a wheel with a symbolic link gets, in part.
REFUSAL = "content: Invalid distribution file. Member 'served_bad/link.py' is a symbolic link"
SERVERS = {
    "adapter": [*STRONGROOM, "serve", "--server", "strongroom"],
    "plain": [*STRONGROOM, "serve", "--server", "plain"],
    "gunicorn-stock-worker": [str(Path(sys.executable).parent / "gunicorn"), "-c",
                              str(DEPLOY / "gunicorn.conf.py"),
                              "-k", "uvicorn_worker.UvicornWorker"],
}


def _says(result: subprocess.CompletedProcess[str], text: str) -> bool:
    """Whether a client printed ``text``, ignoring colours and white space (rich wraps lines,
    long words too)."""
    printed = re.sub(r"\x1b\[[0-9;]*m", "", result.stdout + result.stderr)
    return "".join(text.split()) in "".join(printed.split())


@dataclass
class Served:
    index: LiveIndex
    token: str
    adapter: bool


@pytest.fixture(scope="module", params=list(SERVERS))
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
           ) -> Iterator[Served]:
    """An index on SQLite (how a server is started does not depend on the database) under the
    server named by the parameter, with a user 'alice' and her token."""
    root = tmp_path_factory.mktemp(request.param)
    port = free_port()
    live = LiveIndex(root / "data", f"sqlite:///{root / 'strongroom.sqlite3'}", port,
                     root / "server.log")
    command = SERVERS[request.param]
    if command[0].endswith("gunicorn"):
        live.extra_env |= {"STRONGROOM_BIND": f"127.0.0.1:{port}", "STRONGROOM_WORKERS": "2",
                           "STRONGROOM_DATA_DIR": str(live.data_dir)}
    else:
        command = [*command, "--data-dir", str(live.data_dir), "--port", str(port)]
    env = {k: v for k, v in live.env.items() if k != "STRONGROOM_CONFIG"}
    with live.log_path.open("ab") as log:
        live.process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
    try:
        wait_until_serving(live.url, live.process, live.log_path, timeout=60)
        live.create_user("alice")
        yield Served(live, live.token("alice"), adapter=request.param == "adapter")
    finally:
        live.stop()
    assert "Traceback" not in live.log(), live.log()


def test_twine_publishes_and_pip_installs(served: Served, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "dist", "served-lib", "1.0")
    twine_upload(served.index.url, served.token, [wheel], tmp_path)
    for _ in range(2):  # the second read is a warm one
        page = httpx.get(f"{served.index.url}/simple/served-lib/")
        assert page.status_code == 200
        assert "served_lib-1.0-py3-none-any.whl" in page.text
    target = tmp_path / "site"
    pip_install(served.index.url, tmp_path, "--target", str(target), "served-lib")
    assert (target / "served_lib-1.0.dist-info").is_dir()


def test_a_refused_uploads_message_reaches_twines_user(served: Served, tmp_path: Path) -> None:
    wheel = make_wheel(tmp_path / "dist", "served-bad", "1.0",
                       extra_files={"served_bad/link.py": b"../../etc/passwd"},
                       modes={"served_bad/link.py": 0o120777})
    quiet = twine_upload(served.index.url, served.token, [wheel], tmp_path, check=False)
    verbose = twine_upload(served.index.url, served.token, [wheel], tmp_path, "--verbose",
                           check=False)
    print(quiet.stdout, verbose.stdout, sep="\n")  # shown when the test fails
    for result in (quiet, verbose):
        assert result.returncode == 1
        assert _says(result, f"HTTPError: 400 Bad Request from {served.index.url}/legacy/")
    # With --verbose twine prints the body, which carries the message on every server.
    assert _says(verbose, f"INFO 400 {REFUSAL}")
    # Without it, twine prints the reason phrase: the message with the adapter, the standard
    # phrase on a stock server, where twine points to --verbose instead.
    assert _says(quiet, "Retry with the --verbose option for more details.")
    assert _says(quiet, REFUSAL) == served.adapter
    page = httpx.get(f"{served.index.url}/simple/served-bad/")
    assert page.status_code == 404
