"""The real clients, run as a user runs them, isolated from this machine's pip configuration."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tests.attestations import PRODUCTION_ROOT

BIN = Path(sys.executable).parent


def client_env(tmp: Path) -> dict[str, str]:
    """An environment in which pip and uv see only the index the test names."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PIP_", "UV_", "TWINE_"))}
    env.update({
        "PIP_CONFIG_FILE": os.devnull,
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PIP_NO_INPUT": "1",
        "UV_NO_CONFIG": "1",
        "UV_CACHE_DIR": str(tmp / "uv-cache"),
        "UV_PYTHON_DOWNLOADS": "never",
        "HOME": str(tmp),
        "NETRC": str(tmp / ".netrc"),  # not a machine-wide NETRC: a test writes its own or none
    })
    return env


def keyring_env(tmp: Path) -> dict[str, str]:
    """Additions to client_env(tmp) under which the ``keyring`` command that pip's and uv's
    ``--keyring-provider subprocess`` find first on PATH is this venv's keyring with
    keyrings.alt's plaintext file backend, keeping that file (and uv its own credential store)
    under ``tmp``, never in the machine's keyring. The command is a wrapper outside this venv's
    bin/, because pip skips a ``keyring`` in its own scripts folder lest it call itself."""
    bin_dir = tmp / "keyring-bin"
    bin_dir.mkdir(exist_ok=True)
    command = bin_dir / "keyring"
    command.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m keyring "$@"\n')
    command.chmod(0o755)
    return {"PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', os.defpath)}",
            "PYTHON_KEYRING_BACKEND": "keyrings.alt.file.PlaintextKeyring",
            "XDG_DATA_HOME": str(tmp / "xdg-data"), "XDG_CONFIG_HOME": str(tmp / "xdg-config")}


def keyring_set(tmp: Path, env: Mapping[str, str], service: str, username: str,
                password: str) -> None:
    """``keyring set SERVICE USERNAME``, the password on standard input, as a user stores it."""
    run(["keyring", "set", service, username], tmp, env=env, stdin=f"{password}\n")


def run(args: list[str], tmp: Path, *, check: bool = True, env: Mapping[str, str] | None = None,
        stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run a client in client_env(tmp), updated with ``env``."""
    result = subprocess.run(args, capture_output=True, text=True,
                            env={**client_env(tmp), **(env or {})}, input=stdin,
                            timeout=300, check=False)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({result.returncode}):\n"
                             f"{result.stdout}\n{result.stderr}")
    return result


def said(result: subprocess.CompletedProcess[str]) -> str:
    """What a client printed, its lines joined (twine wraps to its terminal)."""
    return " ".join((result.stdout + result.stderr).split())


def twine_upload(index_url: str, token: str, files: list[Path], tmp: Path, *extra: str,
                 check: bool = True) -> subprocess.CompletedProcess[str]:
    return run([str(BIN / "twine"), "upload", "--non-interactive", "--disable-progress-bar",
                "--repository-url", f"{index_url}/legacy/", "-u", "__token__", "-p", token,
                *extra, *map(str, files)], tmp, check=check)


def pip_install(index_url: str, tmp: Path, *args: str, check: bool = True,
                env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "pip", "install", "--isolated", "--no-cache-dir",
                "--index-url", f"{index_url}/simple/", *args], tmp, check=check, env=env)


def pip_download(index_url: str, tmp: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "pip", "download", "--isolated", "--no-cache-dir",
                "--index-url", f"{index_url}/simple/", *args], tmp)


def uv_venv(tmp: Path) -> Path:
    venv = tmp / "uv-venv"
    run([str(BIN / "uv"), "venv", "--python", sys.executable, str(venv)], tmp)
    return venv


def uv_pip_install(index_url: str, venv: Path, tmp: Path, *args: str, check: bool = True,
                   env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return run([str(BIN / "uv"), "pip", "install", "--python", str(venv / "bin" / "python"),
                "--index-url", f"{index_url}/simple/", *args], tmp, check=check, env=env)


def strongroom_verify(index_url: str, requirement: str, tmp: Path, *extra: str,
                      env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``strongroom verify REQUIREMENT --index INDEX_URL`` (the simple index's URL), checked
    against the Sigstore production root the fixtures keep, so that no test fills sigstore's
    cache; its exit code is the caller's to judge."""
    return run([sys.executable, "-m", "strongroom", "verify", requirement, "--index", index_url,
                "--trusted-root", str(PRODUCTION_ROOT), *extra],
               tmp, check=False, env={"XDG_CACHE_HOME": str(tmp / "cache"), **(env or {})})
