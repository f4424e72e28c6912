"""The server adapter's pinned uvicorn range: the installed uvicorn lies in it, pyproject.toml
pins exactly it, a version outside it is refused (``strongroom serve`` says so in one line), and
only the adapter touches uvicorn's internals."""

from __future__ import annotations

import ast
import socket
import subprocess
import sys
import tomllib
from importlib.metadata import version
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

import strongroom
from strongroom.web.server import SUPPORTED_UVICORN, UnsupportedUvicorn, check_uvicorn

PYPROJECT = Path(__file__).resolve().parents[4] / "pyproject.toml"
SOURCE = Path(strongroom.__file__).parent
ADAPTER = SOURCE / "web" / "server"


def test_the_installed_uvicorn_is_in_the_supported_range() -> None:
    assert Version(version("uvicorn")) in SUPPORTED_UVICORN
    check_uvicorn()


def test_pyproject_pins_uvicorn_to_the_supported_range() -> None:
    dependencies = tomllib.loads(PYPROJECT.read_text())["project"]["dependencies"]
    pins = [Requirement(d) for d in dependencies if Requirement(d).name == "uvicorn"]
    assert len(pins) == 1
    assert pins[0].specifier == SUPPORTED_UVICORN


@pytest.mark.parametrize("installed", ["0.54.9", "0.56.0", "1.0", "not a version", "(none)"])
def test_a_uvicorn_outside_the_range_is_refused(installed: str) -> None:
    with pytest.raises(UnsupportedUvicorn) as refused:
        check_uvicorn(installed)
    assert refused.value.installed == installed
    assert refused.value.supported == SUPPORTED_UVICORN
    assert refused.value.message == (
        f"uvicorn {installed} is installed but Strongroom's server adapter supports uvicorn "
        ">=0.55,<0.56: install a uvicorn in that range, or serve without the adapter: "
        "strongroom serve --server plain, or gunicorn -k uvicorn_worker.UvicornWorker "
        "(README, \"Serving\")")


@pytest.mark.parametrize("installed", ["0.55.0", "0.55.7"])
def test_a_uvicorn_in_the_range_is_accepted(installed: str) -> None:
    check_uvicorn(installed)


SERVE_WITH = """
import sys
import strongroom.web.server
strongroom.web.server.version = lambda name: {installed!r}
sys.argv = ["strongroom", "serve", "--data-dir", {data!r}, "--port", {port!r}, *{extra!r}]
from strongroom.cli import main
main()
"""


def _serve_with_uvicorn(installed: str, tmp_path: Path, *extra: str
                        ) -> subprocess.CompletedProcess[str]:
    """``strongroom serve`` believing uvicorn ``installed`` is installed, on a port held here:
    it stops at the version check or, past it, at the port."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        code = SERVE_WITH.format(installed=installed, data=str(tmp_path / "data"),
                                 port=str(holder.getsockname()[1]), extra=extra)
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              timeout=60, check=False)


def test_serve_refuses_the_adapter_on_an_unsupported_uvicorn_in_one_line(tmp_path: Path
                                                                         ) -> None:
    result = _serve_with_uvicorn("0.56.0", tmp_path)
    assert result.returncode == 1
    assert result.stderr == (
        "error: uvicorn 0.56.0 is installed but Strongroom's server adapter supports uvicorn "
        ">=0.55,<0.56: install a uvicorn in that range, or serve without the adapter: "
        "strongroom serve --server plain, or gunicorn -k uvicorn_worker.UvicornWorker "
        "(README, \"Serving\")\n")
    assert not (tmp_path / "data").exists()  # refused before it made an index


def test_serve_plain_does_not_check_the_version(tmp_path: Path) -> None:
    result = _serve_with_uvicorn("0.56.0", tmp_path, "--server", "plain")
    assert "the port is in use" in result.stderr, result.stderr  # it got as far as binding


def _uvicorn_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        else:
            continue
        found += [n for n in names if n.split(".")[0] in ("uvicorn", "uvicorn_worker")]
    return found


def test_only_the_adapter_imports_uvicorns_internals() -> None:
    # Outside it: uvicorn's public Config and Server, and the supervisor serve --workers uses
    # on the socket it bound itself, as uvicorn.run does.
    public = {"uvicorn", "uvicorn.Config", "uvicorn.Server", "uvicorn.supervisors",
              "uvicorn.supervisors.Multiprocess"}
    outside = {f"{path.relative_to(SOURCE)}: {name}"
               for path in SOURCE.rglob("*.py") if ADAPTER not in path.parents
               for name in _uvicorn_imports(path) if name not in public}
    assert outside == set()


PHRASES_AFTER = """
from pathlib import Path
from strongroom.config import Settings
from strongroom.web import create_app
import strongroom.web.server.gunicorn
from strongroom.web.server import phrases
create_app(Settings(data_dir=Path({data!r})))
print(phrases.installed())
"""


def test_neither_importing_nor_building_the_app_installs_the_reason_phrases(tmp_path: Path
                                                                           ) -> None:
    code = PHRASES_AFTER.format(data=str(tmp_path / "data"))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, check=True)
    assert result.stdout == "False\n"
