"""``scripts/bench --quick`` with ``--only strongroom``, ``--only uploads`` and ``--compare HEAD``
runs end to end and writes its table."""

from __future__ import annotations

import re
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
SCENARIOS = ("project pages, HTML", "project pages, JSON", "30-file page", "304 revalidation",
             ".metadata files", "file downloads")


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
    table = quick_bench(tmp_path, "strongroom", timeout=180)
    for scenario in (*SCENARIOS, "uv install 5 pkgs", "twine upload 78 files"):
        rows = [line for line in table.splitlines() if line.startswith(f"| {scenario} |")]
        for row in rows:
            rate = row.split(" | ")[2]
            assert rate[0].isdigit(), row  # measured, not "-" or a note alone
            assert "bad" not in rate, row  # no failed requests (a 401 would be one)
        if scenario in SCENARIOS:  # the adapter, stock uvicorn and a private index, each
            servers = {row.split(" | ")[1].rsplit("-", 1)[-1] for row in rows}
            assert {"plain", "private"} <= servers, rows
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


def test_quick_ab_of_the_working_tree_against_head(tmp_path: Path) -> None:
    out = tmp_path / "ab.md"
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True,
                          text=True, check=True).stdout.strip()
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--compare", "HEAD", "--quick", "--rounds", "2",
         "--duration", "1", "--out", str(out)],
        cwd=REPO, capture_output=True, text=True, timeout=600, check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = out.read_text()
    packages = dict(re.findall(r"^- (baseline|candidate): .*, strongroom from `([^`]+)`$",
                               report, re.MULTILINE))
    assert packages["candidate"] == str(REPO / "src" / "strongroom" / "__init__.py")
    assert packages["baseline"] == str(
        REPO / ".bench-builds" / head / "src" / "strongroom" / "__init__.py")
    for scenario in (*SCENARIOS, "twine upload 78 files"):
        row = next(line for line in report.splitlines()
                   if line.startswith(f"| {scenario} | sqlite |"))
        baseline, candidate, ratio, rounds, verdict = row.split(" | ")[3:8]
        assert baseline[0].isdigit(), row
        assert candidate[0].isdigit(), row
        low, high = (float(r) for r in rounds.split("-"))
        assert 0 < low <= high, row
        assert float(ratio) > 0, row
        assert verdict.startswith(("within 5%", "slower by", "faster by")), row
    assert "| twine upload 78 files | sqlite | files/s |" in report
    worktrees = subprocess.run(["git", "-C", str(REPO), "worktree", "list", "--porcelain"],
                               capture_output=True, text=True, check=True).stdout
    assert f".bench-builds/{head}" not in worktrees  # the baseline's checkout is gone
    assert not (REPO / ".bench-builds" / head).exists()


def test_ab_against_no_commit_stops_before_measuring(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.run", "--compare", "no-such-revision", "--quick",
         "--out", str(tmp_path / "ab.md")],
        cwd=REPO, capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 1
    assert "--compare no-such-revision: not a commit" in done.stderr
    assert not (tmp_path / "ab.md").exists()


def test_scale_runs_two_small_sizes() -> None:
    """``python -m benchmarks.scale`` (README) generates, verifies, serves and measures each
    size: a generator that the schema refuses (migration 0004 made blake2_256 unique) stops
    it, as it once did silently until someone ran it."""
    done = subprocess.run(
        [sys.executable, "-m", "benchmarks.scale", "--sizes", "20,40", "--files-per-project",
         "2", "--sample", "5", "--wrk-seconds", "1"],
        cwd=REPO, capture_output=True, text=True, timeout=300, check=False,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-3000:]
    written = re.search(r"written to (\S+\.md)", done.stdout + done.stderr)
    assert written, (done.stdout + done.stderr)[-3000:]
    table = Path(written[1]).read_text()
    Path(written[1]).unlink()
    assert "| figure | 20 projects | 40 projects |" in table
    requests = next(line for line in table.splitlines()
                    if line.startswith("| wrk, any project, requests/s |"))
    assert all(cell.replace(",", "").isdigit() for cell in requests.strip("| ").split(" | ")[1:])
    assert "| wrk non-2xx | 0 | 0 |" in table


def test_quick_vulns_bench_imports_queries_and_audits_on_sqlite(tmp_path: Path) -> None:
    """``--only vulns --quick`` without a PostgreSQL server: the real advisory database
    imported, wrk on the OSV API, and both audits run (the bench itself fails when they
    disagree); every figure measured."""
    table = quick_bench(tmp_path, "vulns", timeout=600)
    rows = [[cell.strip() for cell in line.split("│")[1:-1]]
            for line in table.splitlines() if line.startswith("│ SQLite")]
    imports = [row for row in rows if len(row) == 6]
    audits = {row[1]: row[2] for row in rows if len(row) == 3}
    assert len(imports) == 1, rows
    first, again, rate, p50, p99 = imports[0][1:]
    assert float(first) > 0, imports
    assert 0 < float(p50) <= float(p99), imports
    assert again[0].isdigit(), imports
    assert rate[0].isdigit(), imports
    assert sorted(audits) == ["pip-audit -s osv", "strongroom audit"], rows
    assert all(seconds[0].isdigit() for seconds in audits.values()), audits
