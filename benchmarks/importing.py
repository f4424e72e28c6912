"""``scripts/bench --only import``: how fast ``strongroom admin import`` takes real files.

The files are the corpus of real distributions from PyPI (tests/realdists/manifest.toml,
fetched into its cache once): wheels and sdists, pure and binary, old and new, most of them
breaking some upload rule that the import policy records as a warning. Each round imports the
whole corpus into a fresh index (SQLite), then imports it again into the same index, where
every file is already present (hashed and found, nothing validated or written). Each figure
is the whole command: its start (about a second of imports and the README renderer) included,
so a larger import runs faster per file than these. The import's peak resident size comes from
the kernel when it exits (``wait4``'s ru_maxrss).
"""

from __future__ import annotations

import os
import statistics
import sys
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table
from tests.realdists.corpus import default_cache, load_manifest
from tests.realdists.fetch import fetch_corpus

from benchmarks.servers import StrongroomSite

console = Console(stderr=True)


@dataclass(frozen=True)
class Run:
    """One ``admin import`` of the corpus: seconds and peak resident bytes."""

    seconds: float
    peak: int


def corpus_dir(work: Path) -> tuple[Path, int, int]:
    """The real corpus linked into a folder of its own; its path, file count and bytes."""
    report = fetch_corpus(load_manifest(), default_cache(), show_progress=True)
    folder = work / "corpus"
    folder.mkdir()
    for path in report.paths:
        (folder / path.name).symlink_to(path)
    return folder, len(report.paths), sum(path.stat().st_size for path in report.paths)


def measure(work: Path, folder: Path, rounds: int) -> tuple[list[Run], list[Run]]:
    """``rounds`` imports into fresh indexes, and as many again into the same ones."""
    fresh, again = [], []
    for number in range(rounds):
        console.print(f"round {number + 1} of {rounds}")
        site = StrongroomSite.new(work / f"site-{number}" / "data")
        fresh.append(Run(*site.measured_import(folder)))
        again.append(Run(*site.measured_import(folder)))
    return fresh, again


def _row(name: str, runs: list[Run], files: int, size: int) -> tuple[str, ...]:
    seconds = [run.seconds for run in runs]
    median = statistics.median(seconds)
    return (name, f"{median:.2f} ({min(seconds):.2f}-{max(seconds):.2f})",
            f"{files / median:.1f}", f"{size / 1e6 / median:.2f}",
            f"{max(run.peak for run in runs) / 2**20:.0f}")


def main(work: Path, rounds: int, out: Path) -> Path:
    """Run the import rounds in ``work``; print the table and write it to ``out``."""
    folder, files, size = corpus_dir(work)
    fresh, again = measure(work, folder, rounds)
    headers = ("import", "s, median (range)", "files/s", "MB/s", "peak RSS MB")
    rows = [_row("into a fresh index", fresh, files, size),
            _row("again (all present)", again, files, size)]
    title = f"admin import of {files} real files, {size / 1e6:.1f} MB, {rounds} rounds"
    table = Table(*headers, title=title)
    for row in rows:
        table.add_row(*row)
    Console(width=200).print(table)
    lines = [f"# Strongroom import benchmark: {title}", "",
             f"{os.cpu_count()} cores, Python {sys.version.split()[0]}, SQLite; whole commands, "
             "their start included.", "",
             f"| {' | '.join(headers)} |", f"|{'---|' * len(headers)}",
             *(f"| {' | '.join(row)} |" for row in rows)]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n")
    console.print(f"written to {out}")
    return out
