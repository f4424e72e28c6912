"""The two builds an A/B run compares: a git revision (the baseline) and the working tree.

The baseline is checked out into a throwaway ``git worktree`` under ``.bench-builds/<sha>``
(git-ignored; reused when an interrupted run left it there, removed at the end). Both builds run
on this process's interpreter and so on the current ``.venv``'s dependencies; what differs is
``PYTHONPATH``, which puts a build's ``src`` ahead of the editable install, so ``python -m
strongroom`` imports that build's package. ``verify`` checks that it really does.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.procs import run
from benchmarks.servers import REPO, isolated_env

BUILDS = REPO / ".bench-builds"
BASELINE = "baseline"
CANDIDATE = "candidate"


@dataclass(frozen=True)
class Build:
    """One build of Strongroom: ``label`` (baseline or candidate), what it is in words
    (``revision``), and the ``src`` folder that goes first on its import path."""

    label: str
    revision: str
    src: Path

    @property
    def env(self) -> dict[str, str]:
        """The environment in which ``python -m strongroom`` runs this build."""
        return isolated_env(PYTHONPATH=str(self.src))

    def package_file(self) -> Path:
        """``strongroom.__file__`` as this build's commands see it, asked of a new interpreter
        started exactly as its servers are (same executable, environment and directory)."""
        code = "import strongroom; print(strongroom.__file__)"
        return Path(run([sys.executable, "-c", code], env=self.env).strip())


def _git(*args: str) -> str:
    return run(["git", "-C", str(REPO), *args]).strip()


def _commit(ref: str) -> str:
    """The full hash of the commit ``ref`` names; RuntimeError when it names none."""
    return _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")


def _is_checkout_of(path: Path, sha: str) -> bool:
    """Whether ``path`` is a worktree at ``sha`` with nothing changed in it."""
    if not (path / ".git").exists():
        return False
    try:
        head = run(["git", "-C", str(path), "rev-parse", "HEAD"]).strip()
        changes = run(["git", "-C", str(path), "status", "--porcelain"])
    except RuntimeError:
        return False
    return head == sha and not changes


def _remove(path: Path) -> None:
    """Remove the worktree at ``path`` and its registration, whatever state it is in."""
    try:
        _git("worktree", "remove", "--force", str(path))
    except RuntimeError:  # not (or no longer) a registered worktree: the folder may remain
        shutil.rmtree(path, ignore_errors=True)
    _git("worktree", "prune")


@contextmanager
def checkout(sha: str) -> Iterator[Path]:
    """A detached worktree of commit ``sha`` at ``.bench-builds/<sha>`` while in the block."""
    path = BUILDS / sha
    if not _is_checkout_of(path, sha):
        if path.exists():
            _remove(path)
        _git("worktree", "prune")  # a folder deleted by hand leaves a registration behind
        BUILDS.mkdir(exist_ok=True)
        _git("worktree", "add", "--detach", "--quiet", str(path), sha)
    try:
        yield path
    finally:
        _remove(path)
        if BUILDS.exists() and not any(BUILDS.iterdir()):
            BUILDS.rmdir()


def _candidate() -> Build:
    head = _git("rev-parse", "--short=12", "HEAD")
    changed = _git("status", "--porcelain", "--", "src")
    words = f"the working tree at {head}" + (" with uncommitted changes in src/" if changed
                                             else "")
    return Build(CANDIDATE, words, REPO / "src")


@contextmanager
def baseline_and_candidate(ref: str) -> Iterator[tuple[Build, Build]]:
    """The baseline (``ref``, checked out while in the block) and the candidate (this working
    tree, uncommitted changes included). SystemExit when ``ref`` names no commit."""
    try:
        sha = _commit(ref)
    except RuntimeError:
        raise SystemExit(f"--compare {ref}: not a commit in {REPO}") from None
    with checkout(sha) as tree:
        yield Build(BASELINE, f"{ref} ({sha[:12]})", tree / "src"), _candidate()


def verify(builds: tuple[Build, Build]) -> dict[str, Path]:
    """Each build's ``strongroom.__file__``, by label, once checked: each must lie in its own
    build's ``src`` and the two must differ. SystemExit when not, as an A/B of one build
    against itself would report "within 5%" whatever the change."""
    files = {build.label: build.package_file() for build in builds}
    for build in builds:
        if not files[build.label].is_relative_to(build.src):
            raise SystemExit(f"the {build.label} build imports strongroom from "
                             f"{files[build.label]}, not from {build.src}")
    if len(set(files.values())) < len(builds):
        raise SystemExit(f"both builds import strongroom from {files[BASELINE]}")
    return files
