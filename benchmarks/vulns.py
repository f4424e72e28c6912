"""``scripts/bench --only vulns``: the advisory database in, OSV queries out, audits side by side.

Three measurements, on the real PyPA advisory database (../shared/fixtures/osv/PyPI-all.zip):

- ``strongroom admin vulns import`` of the whole zip into a fresh index (SQLite, and PostgreSQL
  when a server answers), then the same zip again (every record already there);
- ``POST /osv/v1/query`` throughput with wrk, each request asking for one of 200 pinned
  (package, version) pairs that have advisories, as pip-audit asks (one run a round; the
  latencies are those of the run with the median rate);
- an audit of those 200 pinned requirements: ``strongroom audit --index`` (one batched query,
  then each advisory once) against ``pip-audit -s osv --osv-url`` (one query per requirement)
  on the same server, taking turns; both must find the same advisories.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from packaging.utils import canonicalize_name
from packaging.version import Version
from rich.console import Console
from rich.table import Table

from benchmarks.loadgen import run_wrk
from benchmarks.servers import REPO, STRONGROOM, StrongroomSite, postgres_database
from strongroom.domain.advisories import parse_version
from strongroom.domain.osv import InvalidAdvisory, parse_record

console = Console(stderr=True)
ADVISORIES = REPO.parent / "shared" / "fixtures" / "osv" / "PyPI-all.zip"
QUERY_LUA = Path(__file__).with_name("lua") / "post_bodies.lua"
PINS = 200


def pinned_requirements(zip_path: Path, count: int, seed: int = 1) -> list[tuple[str, str]]:
    """``count`` (package, version) pairs, each package once, each version the newest an
    advisory of the database lists as affected (that PEP 440 can read)."""
    listed: dict[str, set[str]] = {}
    with zipfile.ZipFile(zip_path) as archive:
        for member in archive.namelist():
            try:
                advisory, _ = parse_record(json.loads(archive.read(member)), source=member)
            except InvalidAdvisory:
                continue
            if advisory.withdrawn is not None:
                continue
            for entry in advisory.affected:
                listed.setdefault(entry.name, set()).update(
                    v for v in entry.versions if parse_version(v) is not None)
    names = sorted(name for name, versions in listed.items() if versions)
    chosen = random.Random(seed).sample(names, min(count, len(names)))  # noqa: S311
    return [(name, max(listed[name], key=Version)) for name in sorted(chosen)]


def _timed(argv: list[str], env: dict[str, str], ok: tuple[int, ...] = (0,)
           ) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env,  # noqa: S603
                          check=False, timeout=900)
    seconds = time.perf_counter() - started
    if done.returncode not in ok:
        raise RuntimeError(f"{' '.join(argv[:4])} ... exited {done.returncode}:\n"
                           f"{done.stderr[-3000:]}")
    return seconds, done.stdout


def time_imports(site: StrongroomSite, rounds: int) -> tuple[list[float], list[float]]:
    """The first import of the zip into ``site``, then ``rounds`` re-imports."""
    argv = [*STRONGROOM, "admin", "vulns", "import", str(ADVISORIES),
            "--data-dir", str(site.data_dir)]
    first, _ = _timed(argv, site.env)
    again = [_timed(argv, site.env)[0] for _ in range(rounds)]
    return [first], again


@contextmanager
def _sites(work: Path, postgres_url: str | None) -> Iterator[list[tuple[str, StrongroomSite]]]:
    sites = [("SQLite", StrongroomSite.new(work / "sqlite" / "data"))]
    if postgres_url is None:
        yield sites
        return
    with postgres_database(postgres_url, f"strongroom_vulnbench_{os.getpid()}") as url:
        sites.append(("PostgreSQL", StrongroomSite.new(work / "postgres" / "data", url)))
        yield sites


def _audit_argvs(base: str, requirements: Path) -> dict[str, list[str]]:
    pip_audit = Path(sys.executable).with_name("pip-audit")
    return {
        "strongroom audit": [*STRONGROOM, "audit", "-r", str(requirements), "--index", base,
                             "--format", "json"],
        "pip-audit -s osv": [str(pip_audit), "-s", "osv", "--osv-url", f"{base}/osv/v1/query",
                             "-r", str(requirements), "--no-deps", "--disable-pip",
                             "--progress-spinner", "off", "--format", "json"],
    }


def _found(out: str) -> set[tuple[str, str]]:
    """(package, advisory) pairs of a JSON report in pip-audit's layout (both tools write it)."""
    return {(canonicalize_name(dep["name"]), vuln["id"])
            for dep in json.loads(out)["dependencies"] for vuln in dep.get("vulns", [])}


def time_audits(base: str, requirements: Path, rounds: int, env: dict[str, str]
                ) -> dict[str, list[float]]:
    """Both audits of ``requirements`` against ``base``, taking turns ``rounds`` times; raises
    when they do not find the same (package, advisory) pairs."""
    argvs = _audit_argvs(base, requirements)
    times: dict[str, list[float]] = {name: [] for name in argvs}
    found: dict[str, set[tuple[str, str]]] = {}
    for _ in range(rounds):
        for name, argv in argvs.items():
            seconds, out = _timed(argv, env, ok=(0, 1))
            times[name].append(seconds)
            found[name] = _found(out)
    mine, theirs = found["strongroom audit"], found["pip-audit -s osv"]
    if mine != theirs:
        raise RuntimeError(f"the audits disagree: only strongroom {sorted(mine - theirs)[:10]}, "
                           f"only pip-audit {sorted(theirs - mine)[:10]}")
    console.print(f"both audits found {len(mine)} (package, advisory) pairs")
    return times


def query_throughput(base: str, pins: list[tuple[str, str]], work: Path, *, duration: float,
                     connections: int, rounds: int) -> tuple[list[float], float, float]:
    """wrk POSTing pip-audit's query for random pins, ``rounds`` runs: each run's req/s, and
    the p50 and p99 in ms of the run with the median rate."""
    bodies = work / "osv-queries.txt"
    bodies.write_text("".join(
        json.dumps({"package": {"name": name, "ecosystem": "PyPI"}, "version": version}) + "\n"
        for name, version in pins))
    results = []
    for _ in range(rounds):
        result = run_wrk(f"{base}/osv/v1/query", QUERY_LUA, {"BODIES": str(bodies)},
                         duration=duration, connections=connections)
        if result.failed:
            raise RuntimeError(f"OSV queries failed: {result.bad} bad of {result.requests}")
        results.append(result)
    middle = sorted(results, key=lambda run: run.rps)[len(results) // 2]
    return [run.rps for run in results], middle.p50_ms, middle.p99_ms


def _spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def _rates(values: list[float]) -> str:
    return f"{statistics.median(values):,.0f} ({min(values):,.0f}-{max(values):,.0f})"


def main(work: Path, *, rounds: int, duration: float, connections: int,
         postgres_url: str | None, out: Path) -> Path:
    """Run the three measurements in ``work``; print the tables and write them to ``out``."""
    pins = pinned_requirements(ADVISORIES, PINS)
    requirements = work / "requirements.txt"
    requirements.write_text("".join(f"{name}=={version}\n" for name, version in pins))
    lines = [f"# Strongroom vulnerability benchmark ({len(pins)} pinned requirements, "
             f"{rounds} rounds)", ""]
    imports = Table("backend", "first import, s", "re-import, s, median (range)",
                    "OSV query req/s, median (range)", "p50 ms", "p99 ms",
                    title=f"admin vulns import of {ADVISORIES.name}; wrk on /osv/v1/query")
    audits = Table("backend", "audit", "s, median (range)", title="auditing the pins")
    with _sites(work, postgres_url) as sites:
        for label, site in sites:
            first, again = time_imports(site, rounds)
            with site.serve(f"vulns-{label.lower()}", work, 0) as target:
                rates, p50, p99 = query_throughput(target.base, pins, work, duration=duration,
                                                   connections=connections, rounds=rounds)
                imports.add_row(label, f"{first[0]:.2f}", _spread(again), _rates(rates),
                                f"{p50:.2f}", f"{p99:.2f}")
                for name, seconds in time_audits(target.base, requirements, rounds,
                                                 site.env).items():
                    audits.add_row(label, name, _spread(seconds))
    shown = Console(width=200, record=True)
    shown.print(imports)
    shown.print(audits)
    lines += ["```", shown.export_text(), "```"]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))
    console.print(f"written to {out}")
    return out
