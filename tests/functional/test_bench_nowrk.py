"""The benchmark modes that need no wrk: ``--quick --only bigfile`` (an 8 MiB wheel) and
``--only import`` (the real corpus) run every step and write their tables."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.functional

REPO = Path(__file__).resolve().parents[2]


def test_quick_bigfile_run_measures_every_step(tmp_path: Path) -> None:
    out = tmp_path / "bigfile.md"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--only", "bigfile", "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = out.read_text()
    assert "one 8 MiB wheel" in table
    for step in ("twine upload", "download", "download, 1 MB range", "admin import"):
        row = next(line for line in table.splitlines() if line.startswith(f"| {step} |"))
        cells = row.strip("| \n").split(" | ")
        assert float(cells[3].replace(",", "")) > 0, row  # MB/s
        assert int(cells[5]) > 0, row  # the server's peak RSS, MB
    imported = next(line for line in table.splitlines() if line.startswith("| admin import |"))
    assert imported.strip("| \n").split(" | ")[-1].isdigit()  # the import process's own peak
    assert not list(Path(REPO).glob("*.whl"))  # the wheel lived in the run's scratch folder


def test_import_run_measures_the_real_corpus(tmp_path: Path) -> None:
    """``scripts/bench --only import --rounds 1``: the real corpus, imported fresh and again."""
    out = tmp_path / "import.md"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--only", "import", "--rounds", "1", "--out",
         str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = out.read_text()
    assert "admin import of 55 real files" in table
    for step in ("into a fresh index", "again (all present)"):
        row = next(line for line in table.splitlines() if line.startswith(f"| {step} |"))
        cells = row.strip("| \n").split(" | ")
        assert float(cells[2]) > 0, row  # files/s
        assert float(cells[3]) > 0, row  # MB/s
        assert int(cells[4]) > 0, row  # peak RSS, MB
