"""``scripts/bench``: build the corpus, start every server, measure, print and write the table.

Each server runs alone while it is measured (on its own loopback port) and is stopped before the
next starts. Ratios, not absolute numbers, are what to quote: the machine is shared. With
``--compare REF``, an A/B of the working tree against REF instead (``benchmarks.compare``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import tempfile
from pathlib import Path

from rich.console import Console

from benchmarks import (
    bigfile,
    clients,
    compare,
    corpus,
    importing,
    nginx,
    report,
    scenarios,
    vulns,
)
from benchmarks.procs import ensure_tools, free_port
from benchmarks.report import Measurement
from benchmarks.servers import (
    DEVPI_INDEX,
    PASSWORD,
    REPO,
    StrongroomSite,
    Target,
    postgres_database,
    serve_supports_workers,
    start_devpi,
    start_nginx,
    start_pypiserver,
)

NGINX = "nginx-static"
CACHED = "strongroom+nginx-cache"
console = Console(stderr=True)
# The sizes an option left unset takes: a full run's, or --quick's (a smoke run). Rounds with
# --compare default to 5 (and --quick's 1).
_FULL = {"projects": 500, "versions": 10, "big_files": 2000, "duration": 5.0, "rounds": 3,
         "install_count": 50, "bigfile_mib": 1536}
_QUICK = {"projects": 12, "versions": 2, "big_files": 30, "duration": 2.0, "rounds": 1,
          "install_count": 5, "bigfile_mib": 8}


def _args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="scripts/bench", description=__doc__)
    parser.add_argument("--projects", type=int, help="default 500 (12 with --quick)")
    parser.add_argument("--versions", type=int, help="default 10 (2 with --quick)")
    parser.add_argument("--big-files", type=int, help="default 2000 (30 with --quick)")
    parser.add_argument("--duration", type=float,
                        help="seconds per wrk run (default 5; 2 with --quick)")
    parser.add_argument("--rounds", type=int,
                        help="runs per wrk scenario and twine uploads per server; the table "
                             "shows the median run (default 3; 5 with --compare; 1 with "
                             "--quick)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--devpi-projects", type=int, default=100,
                        help="projects loaded into devpi (slow to load); the big one always is")
    parser.add_argument("--install-count", type=int, help="default 50 (5 with --quick)")
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432",
                        help="server for the PostgreSQL run (a fresh database is made and dropped)")
    parser.add_argument("--only",
                        choices=["strongroom", "uploads", "bigfile", "import", "vulns", "all"],
                        default="all",
                        help="strongroom: only Strongroom on SQLite (no peers, no PostgreSQL); "
                             "uploads: only the twine uploads, Strongroom against pypiserver, "
                             "from a corpus just large enough; bigfile: one big wheel uploaded, "
                             "downloaded and imported, with the server's memory (not in 'all'); "
                             "import: admin import of the real corpus (tests/realdists), files/s, "
                             "MB/s and peak memory (not in 'all'); vulns: the real advisory "
                             "database imported, OSV queries with wrk, strongroom audit beside "
                             "pip-audit (not in 'all')")
    parser.add_argument("--bigfile-mib", type=int,
                        help="with --only bigfile: the wheel's size in MiB (default 1536; 8 "
                             "with --quick)")
    parser.add_argument("--quick", action="store_true",
                        help="smoke mode: tiny corpus, 2 s runs, one round, no warm-up "
                             "(options given explicitly still apply)")
    parser.add_argument("--compare", metavar="REF",
                        help="A/B of Strongroom alone: the working tree (candidate) against the "
                             "git revision REF (baseline), the builds taking turns")
    parser.add_argument("--compare-backends", type=compare.backends, default=("sqlite",),
                        metavar="LIST",
                        help="with --compare: sqlite, postgres or both, comma-separated "
                             "(default sqlite)")
    parser.add_argument("--out", type=Path, help="markdown file (default bench-results/<time>.md)")
    args = parser.parse_args(argv)
    if args.compare and args.only != "all":
        parser.error("--compare measures Strongroom alone; --only does not go with it")
    defaults = _QUICK if args.quick else {**_FULL, "rounds": 5} if args.compare else _FULL
    for option, value in defaults.items():
        if getattr(args, option) is None:
            setattr(args, option, value)
    if args.rounds < 1:
        parser.error("--rounds must be at least 1")
    if args.bigfile_mib < 1:
        parser.error("--bigfile-mib must be at least 1")
    if args.only == "uploads":  # a wheel and an sdist per version: enough for the uploads
        args.projects = min(args.projects, -(-scenarios.UPLOAD_FILES // (2 * args.versions)))
        args.big_files = min(args.big_files, 1)
        args.install_count = min(args.install_count, args.projects)
    return args


class Bench:
    """One benchmark run: its corpus, plan and results so far."""

    def __init__(self, args: argparse.Namespace, work: Path) -> None:
        self.args = args
        self.work = work
        self.corpus = corpus.make(work / "corpus", args.projects, args.versions, args.big_files)
        within = args.projects if args.only == "strongroom" else min(args.devpi_projects,
                                                                     args.projects)
        packages = corpus.install_set(args.projects, within, args.install_count)
        self.plan = scenarios.Plan(
            duration=args.duration, rounds=args.rounds, warmup=0 if args.quick else 1,
            connections=args.connections, probe_sample=20 if args.quick else 200,
            big_files=args.big_files, packages=packages, work=work)
        self.upload_files = self.corpus.files()[:scenarios.UPLOAD_FILES]
        self.results: list[Measurement] = []
        self.cores = os.cpu_count() or 1
        self.workers: list[int | None] = [None]
        if serve_supports_workers():
            self.workers = [self.cores] if args.quick else [self.cores, 1]

    def _measure(self, target: Target) -> None:
        console.print(f"measuring {target.name}")
        self.results += scenarios.measure(target, self.plan)

    def _site(self, name: str, database_url: str | None = None) -> StrongroomSite:
        return StrongroomSite.new(self.work / name / "data", database_url)

    def _strongroom_name(self, backend: str, workers: int | None) -> str:
        return f"strongroom-{backend}" + ("" if workers is None else f"-w{workers}")

    def strongroom_sqlite(self) -> StrongroomSite:
        """Load and measure Strongroom on SQLite, per worker count; the loaded site."""
        console.print(f"loading {len(self.corpus.files())} files into Strongroom (SQLite)")
        site = self._site("sqlite")
        site.load(self.corpus.files())
        logs = self.work / "sqlite"
        for workers in self.workers:
            name = self._strongroom_name("sqlite", workers)
            with site.serve(name, logs, self.args.projects, workers) as target:
                self._measure(target)
        # The same app under stock uvicorn, without the server adapter (its warm-read
        # shortcut and joined writes): what the plain ASGI path costs.
        name = self._strongroom_name("sqlite", self.workers[0]) + "-plain"
        with site.serve(name, logs, self.args.projects, self.workers[0], "plain") as target:
            self._measure(target)
        # A private index, every request with a read-only token: what checking access costs.
        name = self._strongroom_name("sqlite", self.workers[0]) + "-private"
        with site.serve(name, logs, self.args.projects, self.workers[0],
                        private=True) as target:
            self._measure(target)
        return site

    def nginx_rows(self, site: StrongroomSite) -> None:
        """nginx serving the static export, then nginx caching in front of Strongroom."""
        static = self.work / "static"
        site.cli("admin", "export-static", str(static / "site"))
        nginx.link_packages(static / "site", site.data_dir / "files")
        port = free_port()
        config = nginx.static_config(static, static / "site", port)
        with start_nginx(NGINX, static, config, port) as target:
            target.projects = self.args.projects
            self._measure(target)
        cache_root = self.work / "cache"
        cache_root.mkdir()
        upstream = site.serve("strongroom-upstream", cache_root, self.args.projects,
                              self.workers[0])
        port = free_port()
        config = nginx.cache_config(cache_root, int(upstream.base.rsplit(":", 1)[1]), port)
        with start_nginx(CACHED, cache_root, config, port, upstream.services) as target:
            target.projects = self.args.projects
            self._measure(target)

    def strongroom_postgres(self) -> None:
        """Load and measure Strongroom on a fresh PostgreSQL database."""
        with postgres_database(self.args.postgres_url, f"strongroom_bench_{os.getpid()}") as url:
            console.print("loading the corpus into Strongroom (PostgreSQL)")
            site = self._site("postgres", url)
            site.load(self.corpus.files())
            name = self._strongroom_name("postgres", self.workers[0])
            logs = self.work / "postgres"
            with site.serve(name, logs, self.args.projects, self.workers[0]) as target:
                self._measure(target)
            site.cli("admin", "journal", "verify")  # closes nothing open; proves the load

    def pypiserver(self) -> None:
        """pypiserver over a directory of every file."""
        root = self.work / "pypiserver"
        with start_pypiserver(root, self.corpus.files(), self.args.projects) as target:
            self._measure(target)

    def devpi(self) -> None:
        """devpi-server with a subset uploaded through twine (its only import path here)."""
        count = min(self.args.devpi_projects, self.args.projects)
        files = self.corpus.files_of(count)
        root = self.work / "devpi"
        root.mkdir()
        with start_devpi(root) as target:
            console.print(f"uploading {len(files)} files ({count} projects) to devpi")
            clients.twine_upload_seconds(f"{target.base}/{DEVPI_INDEX}/", "bench", PASSWORD,
                                         files, timeout=3600)
            target.projects = count
            target.note = f"{count} of {self.args.projects} projects loaded"
            self._measure(target)

    def uploads(self) -> None:
        """twine upload of the first files of the corpus into fresh servers, ``--rounds``
        times each, alternating; the median round stands for each server."""
        files = self.upload_files
        scenario = scenarios.twine_upload(len(files))
        name = self._strongroom_name("sqlite", self.workers[0])
        ours: list[float] = []
        theirs: list[float] = []
        for round_ in range(self.args.rounds):
            site = self._site(f"upload-sqlite-{round_}")
            logs = self.work / f"upload-sqlite-{round_}"
            with site.serve(name, logs, 0, self.workers[0]) as target:
                ours.append(clients.twine_upload_seconds(
                    f"{target.base}/legacy/", "__token__", site.token, files, timeout=1800))
            if self.args.only == "strongroom":
                continue
            root = self.work / f"upload-pypiserver-{round_}"
            with start_pypiserver(root, [], 0) as target:
                theirs.append(clients.twine_upload_seconds(
                    target.base + "/", "bench", "bench", files, timeout=1800))
        for server, seconds in ((name, ours), ("pypiserver", theirs)):
            if seconds:
                middle = statistics.median(seconds)
                spread = ", ".join(f"{s:.2f}" for s in seconds)
                rates = [len(files) / s for s in seconds]
                self.results.append(Measurement(
                    scenario, server, len(files) / middle,
                    note=f"{middle:.2f} s (runs: {spread} s)",
                    spread=(min(rates), max(rates)) if len(rates) > 1 else None))

    def primary(self) -> str:
        """The Strongroom row the targets are judged on (SQLite, most workers)."""
        return self._strongroom_name("sqlite", self.workers[0])

    def targets(self) -> list[report.Target]:
        """The issue's goals, as rows of this run."""
        own = self.primary()
        pages = (scenarios.HTML_PAGES, scenarios.JSON_PAGES)
        big = scenarios.big_page(self.args.big_files)
        upload = report.Target(scenarios.twine_upload(len(self.upload_files)), own,
                               "pypiserver", 1.0)
        if self.args.only == "uploads":
            return [upload]
        return [
            *(report.Target(s, own, NGINX, 0.3) for s in pages),
            *(report.Target(s, own, "devpi", 50) for s in pages),
            report.Target(big, own, NGINX, 0.3),
            *(report.Target(s, CACHED, NGINX, 0.9) for s in (*pages, big)),
            upload,
        ]


def main(argv: list[str] | None = None) -> Path:
    """Run the benchmark; returns the markdown file written."""
    args = _args(argv)
    if args.compare:
        return compare.main(args)
    started = dt.datetime.now(dt.UTC)
    if args.only == "bigfile":
        out = args.out or REPO / "bench-results" / f"{started:%Y%m%dT%H%M%SZ}-bigfile.md"
        with tempfile.TemporaryDirectory(prefix="strongroom-bigfile-") as scratch:
            return bigfile.main(Path(scratch), args.bigfile_mib * 2**20, out)
    if args.only == "import":
        out = args.out or REPO / "bench-results" / f"{started:%Y%m%dT%H%M%SZ}-import.md"
        with tempfile.TemporaryDirectory(prefix="strongroom-import-") as scratch:
            return importing.main(Path(scratch), args.rounds, out)
    if args.only == "vulns":
        ensure_tools("wrk")
        out = args.out or REPO / "bench-results" / f"{started:%Y%m%dT%H%M%SZ}-vulns.md"
        with tempfile.TemporaryDirectory(prefix="strongroom-vulns-") as scratch:
            return vulns.main(Path(scratch), rounds=args.rounds, duration=args.duration,
                              connections=args.connections,
                              postgres_url=args.postgres_url or None, out=out)
    ensure_tools("wrk", "nginx")
    out = args.out or REPO / "bench-results" / f"{started:%Y%m%dT%H%M%SZ}.md"
    work = Path(tempfile.mkdtemp(prefix="strongroom-bench-"))
    try:
        bench = Bench(args, work)
        site = bench.strongroom_sqlite() if args.only != "uploads" else None
        if site is not None and args.only == "all":
            bench.nginx_rows(site)
            bench.strongroom_postgres()
            bench.pypiserver()
            bench.devpi()
        bench.uploads()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    verdicts = report.verdicts(bench.results, bench.targets())
    report.print_table(bench.results, verdicts, Console(width=200))
    preamble = [
        f"# Strongroom benchmark, {started:%Y-%m-%d %H:%M} UTC", "",
        f"Corpus: {args.projects} projects x {args.versions} versions (wheel + sdist), "
        f"bigproj with {args.big_files} wheels. wrk: {args.connections} connections, "
        f"{args.duration:g} s per run, median of {args.rounds} run(s) per scenario, "
        f"{bench.cores} cores shared by client and server. "
        f"Judged row: {bench.primary()}. Quote ratios, not absolute numbers.",
        "Rates are requests/s (twine: files/s, uv: packages/s); peak RSS covers the server's "
        "whole process tree.",
    ]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(report.markdown(bench.results, verdicts, preamble))
    console.print(f"written to {out}")
    return out


if __name__ == "__main__":
    main()
