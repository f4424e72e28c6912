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


def quick_bench(tmp_path: Path, only: str, timeout: float) -> str:
    """Run ``scripts/bench --quick --only <only>``; the markdown it wrote."""
    out = tmp_path / f"{only}.md"
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--quick", "--only", only, "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=timeout, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return out.read_text()


def test_quick_bench_against_strongroom(tmp_path: Path) -> None:
    table = quick_bench(tmp_path, "strongroom", timeout=120)
    for scenario in ("project pages, HTML", "project pages, JSON", "30-file page",
                     "304 revalidation", ".metadata files", "file downloads",
                     "uv install 5 pkgs", "twine upload 78 files"):
        row = next(line for line in table.splitlines() if line.startswith(f"| {scenario} |"))
        rate = row.split(" | ")[2]
        assert rate[0].isdigit(), row  # measured, not "-" or a note alone
        assert "bad" not in rate, row  # no failed requests
    assert "## Targets" in table


def test_quick_upload_comparison_against_pypiserver(tmp_path: Path) -> None:
    table = quick_bench(tmp_path, "uploads", timeout=600)
    rows = [line for line in table.splitlines() if line.startswith("| twine upload")]
    servers = sorted(row.split(" | ")[1] for row in rows)
    assert len(servers) == 2, rows
    assert servers[0] == "pypiserver", rows
    assert servers[1].startswith("strongroom-sqlite"), rows
    targets = table.split("## Targets", 1)[1]
    assert "twine upload" in targets
    assert "not measured" not in targets
    assert "project pages" not in targets
