"""``scripts/bench --compare REF``: the working tree against the git revision REF, the two builds
taking turns on one machine in one run.

Per backend, each build gets its own data directory (and PostgreSQL database), loaded by its own
``admin import`` of the same corpus, and its own server, started once and kept up while the
other's is measured. Every wrk scenario then runs round by round, one build at a time, each
measured run after its own warm-up, the order swapped every round so that neither build always
goes first. The twine upload goes into fresh servers: every round, every build its own.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console

from benchmarks import ab_report, builds, clients, corpus, scenarios
from benchmarks.ab_report import Paired
from benchmarks.builds import BASELINE, CANDIDATE, Build
from benchmarks.procs import PeakRss, ensure_tools
from benchmarks.report import Measurement
from benchmarks.scenarios import WrkScenario
from benchmarks.servers import (
    REPO,
    StrongroomSite,
    Target,
    postgres_database,
    serve_supports_workers,
)

BACKENDS = ("sqlite", "postgres")
console = Console(stderr=True)


def backends(text: str) -> tuple[str, ...]:
    """``--compare-backends``: a comma-separated list drawn from BACKENDS, in the order given."""
    names = tuple(dict.fromkeys(name.strip() for name in text.split(",") if name.strip()))
    unknown = [name for name in names if name not in BACKENDS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"expected a comma-separated list of {', '.join(BACKENDS)}; got {text!r}")
    return names


def turns(pair: tuple[Build, Build], round_: int) -> tuple[Build, Build]:
    """The builds in the order they run in ``round_``: baseline first in even rounds."""
    return pair if round_ % 2 == 0 else (pair[1], pair[0])


def _name(item: WrkScenario | Measurement) -> str:
    return item.name if isinstance(item, WrkScenario) else item.scenario


@dataclass
class _Tally:
    """What one scenario's rounds have given each build so far."""

    rates: dict[str, list[float]] = field(
        default_factory=lambda: {BASELINE: [], CANDIDATE: []})
    peaks: dict[str, int] = field(default_factory=lambda: {BASELINE: 0, CANDIDATE: 0})
    problems: list[str] = field(default_factory=list)

    def add(self, label: str, rate: float, peak_rss: int, problem: str = "") -> None:
        """Record one build's round: its rate, its peak RSS and what went wrong, if anything."""
        self.rates[label].append(rate)
        self.peaks[label] = max(self.peaks[label], peak_rss)
        if problem:
            self.problems.append(problem)

    def paired(self, scenario: str, backend: str, unit: str) -> Paired:
        """The scenario's row; rate-less, saying why, when any round failed."""
        rss = (self.peaks[BASELINE] or None, self.peaks[CANDIDATE] or None)
        if self.problems:
            return Paired(scenario, backend, (), (), unit, rss, "failed: " +
                          "; ".join(self.problems))
        return Paired(scenario, backend, tuple(self.rates[BASELINE]),
                      tuple(self.rates[CANDIDATE]), unit, rss)


class Compare:
    """One A/B run: the two builds, the corpus, and how hard and long to push each server."""

    def __init__(self, args: argparse.Namespace, work: Path, pair: tuple[Build, Build]) -> None:
        self.args = args
        self.work = work
        self.pair = pair
        self.corpus = corpus.make(work / "corpus", args.projects, args.versions, args.big_files)
        self.plan = scenarios.Plan(
            duration=args.duration, rounds=args.rounds, warmup=0 if args.quick else 1,
            connections=args.connections, probe_sample=20 if args.quick else 200,
            big_files=args.big_files, packages=[], work=work)
        # One worker count for both, or the A/B would compare process models, not code.
        cores = os.cpu_count() or 1
        both = all(serve_supports_workers(build.env) for build in pair)
        self.workers = cores if both else None

    @contextmanager
    def _database(self, backend: str, name: str) -> Iterator[str | None]:
        """A fresh PostgreSQL database for ``postgres`` (dropped afterwards); None (the data
        directory's SQLite file) for ``sqlite``."""
        if backend == "sqlite":
            yield None
            return
        with postgres_database(self.args.postgres_url, f"strongroom_ab_{os.getpid()}_{name}"
                               ) as url:
            yield url

    def _site(self, build: Build, folder: str, database_url: str | None) -> StrongroomSite:
        return StrongroomSite.new(self.work / folder / build.label / "data", database_url,
                                  build.src)

    def reads(self, backend: str) -> list[Paired]:
        """Every wrk scenario on ``backend``, both builds loaded and up, measured in turns."""
        with ExitStack() as stack:
            targets: dict[str, Target] = {}
            for build in self.pair:
                url = stack.enter_context(self._database(backend, build.label))
                site = self._site(build, backend, url)
                console.print(f"loading {len(self.corpus.files())} files into the {build.label} "
                              f"({backend})")
                site.load(self.corpus.files())
                targets[build.label] = stack.enter_context(site.serve(
                    f"{build.label}-{backend}", site.data_dir.parent, self.args.projects,
                    self.workers))
            prepared = {label: {_name(item): item
                                for item in scenarios.wrk_scenarios(target, self.plan)}
                        for label, target in targets.items()}
            return [self._rounds(backend, targets, {label: found[name]
                                                    for label, found in prepared.items()})
                    for name in prepared[BASELINE]]

    def _rounds(self, backend: str, targets: dict[str, Target],
                items: dict[str, WrkScenario | Measurement]) -> Paired:
        """One wrk scenario, ``--rounds`` rounds of one measured run per build."""
        name = _name(items[BASELINE])
        ready = {label: item for label, item in items.items() if isinstance(item, WrkScenario)}
        if len(ready) < len(items):
            return Paired(name, backend, (), (), note="; ".join(
                f"{label}: {item.note}" for label, item in items.items()
                if isinstance(item, Measurement)))
        console.print(f"measuring {name} ({backend})")
        tally = _Tally()
        for round_ in range(self.args.rounds):
            for build in turns(self.pair, round_):
                (result,), peak = scenarios.wrk_runs(targets[build.label], self.plan,
                                                     ready[build.label], 1)
                problem = (f"{build.label} round {round_ + 1}: {result.bad} bad of "
                           f"{result.requests}") if result.failed else ""
                tally.add(build.label, result.rps, peak, problem)
        return tally.paired(name, backend, "req/s")

    def uploads(self, backend: str) -> Paired:
        """The twine upload into a fresh server per round and build, in turns."""
        files = self.corpus.files()[:scenarios.UPLOAD_FILES]
        name = scenarios.twine_upload(len(files))
        console.print(f"measuring {name} ({backend})")
        tally = _Tally()
        for round_ in range(self.args.rounds):
            for build in turns(self.pair, round_):
                with self._database(backend, f"{build.label}_upload_{round_}") as url:
                    site = self._site(build, f"upload-{backend}-{round_}", url)
                    with site.serve(f"{build.label}-{backend}", site.data_dir.parent, 0,
                                    self.workers) as target, PeakRss(target.pids) as rss:
                        seconds = clients.twine_upload_seconds(
                            f"{target.base}/legacy/", "__token__", site.token, files,
                            timeout=1800)
                tally.add(build.label, len(files) / seconds, rss.peak)
        return tally.paired(name, backend, "files/s")


def _preamble(args: argparse.Namespace, started: dt.datetime, ab: Compare,
              packages: dict[str, Path]) -> list[str]:
    warmup = f"after a {ab.plan.warmup:g} s warm-up each" if ab.plan.warmup else "no warm-up"
    workers = (f"`serve --workers {ab.workers}`" if ab.workers
               else "`serve` without --workers (a build lacks the option)")
    lines = [f"# Strongroom A/B, {started:%Y-%m-%d %H:%M} UTC", ""]
    lines += [f"- {build.label}: {build.revision}, strongroom from `{packages[build.label]}`"
              for build in ab.pair]
    return [*lines, "",
            "Both builds run on this checkout's .venv (its interpreter and dependencies) and "
            "this checkout's harness. "
            f"Corpus: {args.projects} projects x {args.versions} versions (wheel + sdist), "
            f"bigproj with {args.big_files} wheels, each build loading it with its own `admin "
            f"import`. Backends: {', '.join(args.compare_backends)}; {workers}. "
            f"wrk: {args.connections} connections, {args.duration:g} s per run, {warmup}; "
            f"{args.rounds} round(s) per scenario, one run per build a round, the order swapped "
            "every round; uploads into fresh servers every round. "
            f"Servers and wrk share {os.cpu_count()} cores.",
            "Columns: medians of the rounds; cand/base is their ratio (above 1: the candidate "
            "is faster); rounds' ratios pair round i of each build. The verdict judges the "
            "ratio of medians by the 5% rule; a caution marks rounds on both sides of 0.95, or "
            "a single round. Quote ratios, not absolute numbers."]


def main(args: argparse.Namespace) -> Path:
    """Run the A/B that ``args`` (``scripts/bench``'s options) asks for; returns the markdown
    file written. SystemExit when REF names no commit or the two builds would not run
    different code."""
    ensure_tools("wrk")
    started = dt.datetime.now(dt.UTC)
    out = args.out or REPO / "bench-results" / f"{started:%Y%m%dT%H%M%SZ}-ab.md"
    work = Path(tempfile.mkdtemp(prefix="strongroom-ab-"))
    results: list[Paired] = []
    try:
        with builds.baseline_and_candidate(args.compare) as pair:
            packages = builds.verify(pair)
            for build in pair:
                console.print(f"{build.label}: {build.revision}, strongroom from "
                              f"{packages[build.label]}", highlight=False, soft_wrap=True)
            ab = Compare(args, work, pair)
            try:
                for backend in args.compare_backends:
                    results += ab.reads(backend)
                    results.append(ab.uploads(backend))
            except BaseException:
                # A later backend's failure keeps what the earlier ones measured on screen.
                if results:
                    ab_report.print_table(results, Console(width=200))
                raise
            preamble = _preamble(args, started, ab, packages)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    ab_report.print_table(results, Console(width=200))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(ab_report.markdown(results, preamble))
    console.print(f"written to {out}")
    return out
