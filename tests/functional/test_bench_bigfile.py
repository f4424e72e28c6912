"""``scripts/bench --quick --only bigfile`` (an 8 MiB wheel; needs no wrk) runs every step and
writes its table."""

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
