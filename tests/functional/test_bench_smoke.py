"""``scripts/bench --quick`` with ``--only strongroom`` and ``--only uploads`` runs end to end and
writes its table."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.functional,
    pytest.mark.skipif(shutil.which("wrk") is None, reason="needs wrk (apt-get install wrk)"),
]

REPO = Path(__file__).resolve().parents[2]


def test_quick_bench_against_strongroom(tmp_path: Path) -> None:
    out = tmp_path / "bench.md"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--only", "strongroom", "--out",
         str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table = out.read_text()
    for scenario in ("project pages, HTML", "project pages, JSON", "30-file page",
                     "304 revalidation", ".metadata files", "file downloads",
                     "uv install 5 pkgs", "twine upload 78 files"):
        row = next(line for line in table.splitlines() if line.startswith(f"| {scenario} |"))
        rate = row.split(" | ")[2]
        assert rate[0].isdigit(), row  # measured, not "-" or a note alone
        assert "bad" not in rate, row  # no failed requests
    assert "## Targets" in table


def test_quick_upload_comparison_against_pypiserver(tmp_path: Path) -> None:
    out = tmp_path / "uploads.md"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--only", "uploads", "--out",
         str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    rows = [line for line in out.read_text().splitlines() if line.startswith("| twine upload")]
    servers = sorted(row.split(" | ")[1] for row in rows)
    assert len(servers) == 2, rows
    assert servers[0] == "pypiserver", rows
    assert servers[1].startswith("strongroom-sqlite"), rows
    targets = out.read_text().split("## Targets", 1)[1]
    assert "twine upload" in targets
    assert "not measured" not in targets
    assert "project pages" not in targets
