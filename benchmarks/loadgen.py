"""Load generation with wrk: what to request, running it, and reading its report."""

from __future__ import annotations

import os
import random
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from benchmarks.procs import run

URLS_LUA = Path(__file__).with_name("lua") / "urls.lua"
WITH_HEADERS_LUA = Path(__file__).with_name("lua") / "with_headers.lua"
RANDOM_SIMPLE_LUA = Path(__file__).resolve().parents[2] / "shared" / "bench" / "random_simple.lua"
HTML = "text/html"
JSON = "application/vnd.pypi.simple.v1+json"
_ANCHOR = re.compile(r"<a\s([^>]*)>", re.IGNORECASE)
_HREF = re.compile(r'href="([^"]+)"')
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class WrkResult:
    """What one wrk run measured; ``bad`` counts non-2xx/3xx answers and socket errors."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    bad: int

    @property
    def failed(self) -> bool:
        """No answers, or more than 1% bad ones: errors are fast, so such a run's rate means
        nothing."""
        return self.requests == 0 or self.bad * 100 > self.requests


@dataclass(frozen=True)
class Probe:
    """Paths found on a server's pages: project pages with their ETags, files, metadata files."""

    pages: list[tuple[str, str | None]]
    files: list[str]
    metadata: list[str]


def _latency_ms(text: str, percentile: str) -> float:
    match = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.MULTILINE)
    if match is None:
        raise ValueError(f"wrk reported no {percentile}% latency:\n{text}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(text: str) -> WrkResult:
    """Read wrk's ``--latency`` report."""
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", text, re.MULTILINE)
    total = re.search(r"^\s+(\d+) requests in", text, re.MULTILINE)
    if rps is None or total is None:
        raise ValueError(f"not a wrk report:\n{text}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    bad = int(non_2xx.group(1)) if non_2xx else 0
    bad += sum(int(g) for g in errors.groups()) if errors else 0
    return WrkResult(float(rps.group(1)), _latency_ms(text, "50"), _latency_ms(text, "99"),
                     int(total.group(1)), bad)


def run_wrk(url: str, script: Path, env: dict[str, str], *, duration: float,
            connections: int, headers: dict[str, str] | None = None) -> WrkResult:
    """Run wrk for ``duration`` seconds with ``connections`` connections over 2 threads; every
    request carries ``headers`` too (the scripts' ``wrk.format`` adds them)."""
    threads = min(2, connections)
    extra = [f"-H{name}: {value}" for name, value in (headers or {}).items()]
    if extra:
        env, script = {**env, "SCRIPT": str(script)}, WITH_HEADERS_LUA
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s",
            "--latency", "--timeout", "10s", *extra, "-s", str(script), url]
    return parse_wrk(run(argv, env={**os.environ, **env}, timeout=duration + 60))


def write_url_list(path: Path, lines: list[tuple[str, str | None]]) -> Path:
    """Write the tab-separated list ``urls.lua`` reads."""
    path.write_text("".join(f"{p}\t{etag or ''}\n" for p, etag in lines))
    return path


def probe(base: str, simple: str, project_names: list[str], *, sample: int,
          seed: int = 1, headers: dict[str, str] | None = None) -> Probe:
    """Fetch ``sample`` random HTML project pages (sending ``headers`` too); collect ETags,
    file and metadata paths."""
    chosen = random.Random(seed).sample(  # noqa: S311 (a sample, not a secret)
        project_names, min(sample, len(project_names)))
    pages: list[tuple[str, str | None]] = []
    files: list[str] = []
    metadata: list[str] = []
    with httpx.Client(timeout=60, headers=headers) as client:
        for name in chosen:
            path = f"{simple}/{name}/"
            response = client.get(base + path, headers={"Accept": HTML})
            response.raise_for_status()
            pages.append((path, response.headers.get("etag")))
            for attrs in _ANCHOR.findall(response.text):
                href = _HREF.search(attrs)
                if href is None:
                    continue
                file_path = urlsplit(urljoin(base + path, href.group(1).replace("&amp;", "&"))).path
                files.append(file_path)
                if "data-core-metadata" in attrs or "data-dist-info-metadata" in attrs:
                    metadata.append(file_path + ".metadata")
    return Probe(pages, files, metadata)


def answers_304(base: str, path: str, etag: str, headers: dict[str, str] | None = None
                ) -> bool:
    """Whether the server answers a revalidation of ``path`` with 304 Not Modified."""
    response = httpx.get(base + path, headers={**(headers or {}), "Accept": HTML,
                                               "If-None-Match": etag}, timeout=30)
    return response.status_code == 304
