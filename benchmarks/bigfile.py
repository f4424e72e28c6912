"""``scripts/bench --only bigfile``: one big wheel through upload, import and download, with the
server's memory beside each step.

The wheel (``--bigfile-size``, default 1536 MiB; 8 MiB with ``--quick``) holds one member of
random, incompressible bytes, stored, so its size is what travels. It is written a chunk at a
time into the run's temporary folder and removed with it. One site takes the upload: an admin
makes the project and raises its limits first (``admin project create`` / ``limits``), twine
uploads the wheel to ``strongroom serve``, then the whole file and one 1 MB range are
downloaded. A second site imports the same file with ``admin import``. Each step reports its
MB/s and the server's memory: the resident size of its process tree sampled every 0.1 s (the
peak during the step, and the steady size before it) and the largest VmHWM (a process's own
peak resident size since it started) among its processes. The import's own process reports
its peak from the kernel when it exits (``wait4``'s ru_maxrss).
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import sys
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx
from rich.console import Console
from rich.table import Table

from benchmarks import clients
from benchmarks.procs import PeakRss, tree_hwm, tree_rss
from benchmarks.servers import StrongroomSite, Target

_CHUNK = 4 * 1024 * 1024
_RANGE = 1_000_000
NAME = "bigfile"
console = Console(stderr=True)


@dataclass(frozen=True)
class Step:
    """One step's speed and memory. Sizes in bytes; ``process_peak`` is the import command's own
    (None for steps the server alone does)."""

    name: str
    size: int
    seconds: float
    server_before: int
    server_peak: int
    server_hwm: int
    process_peak: int | None = None

    @property
    def mb_per_s(self) -> float:
        return self.size / 1e6 / self.seconds


def make_wheel(directory: Path, size: int) -> Path:
    """A valid wheel of about ``size`` bytes: one stored member of random bytes, written and
    hashed a chunk at a time (RECORD carries its digest).

    The member's size is declared up front, as ``ZipFile.write`` (and so bdist_wheel) declares a
    file's, so that zipfile writes ZIP64 headers when it may pass 2 GiB.
    """
    path = directory / f"{NAME}-1.0-py3-none-any.whl"
    info = f"{NAME}-1.0.dist-info"
    metadata = f"Metadata-Version: 2.1\nName: {NAME}\nVersion: 1.0\nSummary: one big file\n"
    wheel = ("Wheel-Version: 1.0\nGenerator: strongroom-bench\nRoot-Is-Purelib: true\n"
             "Tag: py3-none-any\n")
    rows = []
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        digest, left = hashlib.sha256(), size
        blob = zipfile.ZipInfo(f"{NAME}/blob.bin")
        blob.file_size = size
        with archive.open(blob, "w") as member:
            while left > 0:
                chunk = os.urandom(min(_CHUNK, left))
                digest.update(chunk)
                member.write(chunk)
                left -= len(chunk)
        rows.append(f"{NAME}/blob.bin,sha256={_b64(digest.digest())},{size}")
        for member_name, text in ((f"{info}/METADATA", metadata), (f"{info}/WHEEL", wheel)):
            data = text.encode()
            archive.writestr(member_name, data)
            rows.append(f"{member_name},sha256={_b64(hashlib.sha256(data).digest())},{len(data)}")
        rows.append(f"{info}/RECORD,,")
        archive.writestr(f"{info}/RECORD", "\n".join(rows) + "\n")
    return path


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _measured(name: str, size: int, target: Target, action: Callable[[], object],
              process_peak: Callable[[object], int | None] = lambda _result: None) -> Step:
    """Run ``action()`` while sampling the server's memory; ``process_peak`` reads the peak of
    a process of the step's own from what ``action`` returned."""
    before = tree_rss(target.pids)
    with PeakRss(target.pids, interval=0.1) as peak:
        started = time.perf_counter()
        result = action()
        seconds = time.perf_counter() - started
    return Step(name, size, seconds, before, peak.peak, tree_hwm(target.pids),
                process_peak(result))


def _download(url: str, headers: dict[str, str] | None = None) -> int:
    """GET ``url`` streaming, discarding the bytes; how many arrived."""
    received = 0
    with httpx.stream("GET", url, headers=headers, timeout=600) as answer:
        answer.raise_for_status()
        for chunk in answer.iter_raw(1024 * 1024):
            received += len(chunk)
    return received


def _raise_limits(site: StrongroomSite, size: int) -> None:
    site.cli("admin", "project", "create", NAME, "--owner", "bench")
    limit = str(max(size * 2, 200 * 2**20))
    site.cli("admin", "project", "limits", NAME, "--file-size", limit, "--total", limit)


def run_steps(work: Path, size: int) -> list[Step]:
    """Build the wheel, then upload, download (whole and a range) and import it."""
    free = shutil.disk_usage(work).free
    if free < 4 * size + 2**30:
        raise RuntimeError(f"{work}: {free / 2**30:.1f} GiB free; the big-file run needs "
                           f"{(4 * size + 2**30) / 2**30:.1f} GiB (the wheel, two stores, spool)")
    console.print(f"writing a {size / 2**20:.0f} MiB wheel")
    wheel = make_wheel(work, size)
    length = wheel.stat().st_size
    steps = []
    site = StrongroomSite.new(work / "upload" / "data")
    _raise_limits(site, length)
    with site.serve("strongroom-bigfile", work / "upload", 1) as target:
        console.print("uploading it with twine")
        steps.append(_measured("twine upload", length, target, lambda: clients.twine_upload_seconds(
            f"{target.base}/legacy/", "__token__", site.token, [wheel], timeout=3600)))
        page = httpx.get(f"{target.base}/simple/{NAME}/",
                         headers={"Accept": "application/vnd.pypi.simple.v1+json"}).json()
        url = urljoin(f"{target.base}/simple/{NAME}/", page["files"][0]["url"])
        console.print("downloading it")
        steps.append(_measured("download", length, target, lambda: _download(url)))
        middle = length // 2
        ranged = f"bytes={middle}-{middle + _RANGE - 1}"
        steps.append(_measured("download, 1 MB range", _RANGE, target,
                               lambda: _check_range(url, ranged)))
    imported = StrongroomSite.new(work / "import" / "data")
    _raise_limits(imported, length)
    # The importing process is measured; the server of the same site stays up beside it, idle.
    with imported.serve("strongroom-bigfile-import", work / "import", 1) as target:
        console.print("importing it with admin import")
        steps.append(_measured("admin import", length, target,
                               lambda: imported.measured_import(wheel)[1],
                               process_peak=lambda peak: peak if isinstance(peak, int) else None))
    wheel.unlink()
    return steps


def _check_range(url: str, ranged: str) -> None:
    with httpx.stream("GET", url, headers={"Range": ranged}, timeout=600) as answer:
        if answer.status_code != 206:
            raise RuntimeError(f"a range request got {answer.status_code}, not 206")
        received = sum(len(chunk) for chunk in answer.iter_raw())
    if received != _RANGE:
        raise RuntimeError(f"a range of {_RANGE} bytes sent {received}")


def table(steps: list[Step], size: int) -> tuple[Table, list[str]]:
    """The console table and the markdown lines of the results."""
    headers = ("step", "MB", "s", "MB/s", "server RSS before MB", "server peak RSS MB",
               "server VmHWM MB", "import process peak RSS MB")
    rows = [(s.name, f"{s.size / 1e6:,.1f}", f"{s.seconds:.2f}", f"{s.mb_per_s:,.1f}",
             f"{s.server_before / 2**20:.0f}", f"{s.server_peak / 2**20:.0f}",
             f"{s.server_hwm / 2**20:.0f}",
             "-" if s.process_peak is None else f"{s.process_peak / 2**20:.0f}")
            for s in steps]
    rich = Table(*headers, title=f"one {size / 2**20:.0f} MiB wheel")
    for row in rows:
        rich.add_row(*row)
    lines = [f"| {' | '.join(headers)} |", f"|{'---|' * len(headers)}",
             *(f"| {' | '.join(row)} |" for row in rows)]
    return rich, lines


def main(work: Path, size: int, out: Path) -> Path:
    """Run the big-file steps in ``work``; print the table and write it to ``out``."""
    steps = run_steps(work, size)
    rich, lines = table(steps, size)
    Console(width=200).print(rich)
    python = sys.version.split()[0]
    preamble = [f"# Strongroom big-file benchmark: one {size / 2**20:.0f} MiB wheel", "",
                f"{os.cpu_count()} cores, Python {python}; RSS is the server's whole process "
                "tree (its README renderer included).", ""]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join([*preamble, *lines]) + "\n")
    console.print(f"written to {out}")
    return out
