"""The benchmark corpus: built by the shared ``make_corpus.py``, then chosen from by name."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from benchmarks.procs import run

MAKE_CORPUS = Path(__file__).resolve().parents[2] / "shared" / "bench" / "make_corpus.py"
BIG_PROJECT = "bigproj"


@dataclass(frozen=True)
class Corpus:
    """The corpus on disk and the sizes it was made with (projects are ``proj-00000`` on)."""

    root: Path
    projects: int
    versions: int
    big_files: int

    def files(self) -> list[Path]:
        """Every distribution, sorted by name."""
        return sorted(p for p in self.root.iterdir() if p.name.endswith((".whl", ".tar.gz")))

    def files_of(self, first_projects: int, *, with_big: bool = True) -> list[Path]:
        """The files of ``proj-00000`` .. ``proj-<first_projects - 1>`` (and of bigproj)."""
        wanted = {f"proj_{i:05d}-" for i in range(first_projects)}
        return [p for p in self.files()
                if p.name[:11] in wanted or (with_big and p.name.startswith(BIG_PROJECT))]


def make(root: Path, projects: int, versions: int, big_files: int) -> Corpus:
    """Build the corpus into ``root`` (reused when it already holds these sizes)."""
    stamp = root / ".sizes"
    sizes = f"{projects} {versions} {big_files}"
    if not (stamp.exists() and stamp.read_text() == sizes):
        run([sys.executable, str(MAKE_CORPUS), str(root), "--projects", str(projects),
             "--versions", str(versions), "--big-files", str(big_files)])
        stamp.write_text(sizes)
    return Corpus(root, projects, versions, big_files)


def dependency(i: int, projects: int) -> int | None:
    """The project ``proj-i`` depends on, as make_corpus.py wires them (None: no dependency)."""
    return (i * 7 + 1) % projects if i % 3 == 0 and i else None


def install_set(projects: int, within: int, count: int) -> list[str]:
    """``count`` project names whose dependency closures stay inside the first ``within``."""
    chosen: list[str] = []
    for i in range(1, within):
        closure, j = {i}, dependency(i, projects)
        while j is not None and j not in closure:
            closure.add(j)
            j = dependency(j, projects)
        if max(closure) < within:
            chosen.append(f"proj-{i:05d}")
        if len(chosen) == count:
            break
    return chosen
