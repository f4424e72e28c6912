"""Measuring one running server: every wrk scenario it supports, then a cold uv install."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from benchmarks import clients, loadgen
from benchmarks.corpus import BIG_PROJECT
from benchmarks.loadgen import WrkResult
from benchmarks.procs import PeakRss
from benchmarks.report import Measurement
from benchmarks.servers import Target

HTML_PAGES = "project pages, HTML"
JSON_PAGES = "project pages, JSON"
REVALIDATE = "304 revalidation"
METADATA = ".metadata files"
DOWNLOADS = "file downloads"
UPLOAD_FILES = 200  # the most files a twine upload scenario sends


def big_page(files: int) -> str:
    """The scenario name of the big project's page."""
    return f"{files:,}-file page"


def twine_upload(files: int) -> str:
    """The scenario name of the upload into a fresh server."""
    return f"twine upload {files} files"


def uv_install(count: int) -> str:
    """The scenario name of the cold-cache install."""
    return f"uv install {count} pkgs"


@dataclass(frozen=True)
class Plan:
    """How hard and how long to push each server."""

    duration: float
    rounds: int
    warmup: float
    connections: int
    probe_sample: int
    big_files: int
    packages: Sequence[str]
    work: Path


@dataclass(frozen=True)
class WrkScenario:
    """One wrk scenario made ready for one server: its name, Lua script and the script's
    environment (URL lists already written)."""

    name: str
    script: Path
    env: dict[str, str]


def wrk_runs(target: Target, plan: Plan, scenario: WrkScenario, runs: int
             ) -> tuple[list[WrkResult], int]:
    """A warm-up of ``plan.warmup`` seconds (none when 0), then ``runs`` measured wrk runs of
    ``plan.duration`` seconds; their results and the peak RSS in bytes of ``target``'s process
    trees during the measured runs."""
    url = target.base + "/"
    if plan.warmup:
        loadgen.run_wrk(url, scenario.script, scenario.env, duration=plan.warmup,
                        connections=plan.connections, headers=target.headers)
    with PeakRss(target.pids) as rss:
        results = [loadgen.run_wrk(url, scenario.script, scenario.env, duration=plan.duration,
                                   connections=plan.connections, headers=target.headers)
                   for _ in range(runs)]
    return results, rss.peak


def _wrk(target: Target, plan: Plan, scenario: WrkScenario) -> Measurement:
    runs, peak = wrk_runs(target, plan, scenario, plan.rounds)
    # The machine is shared: the run of median rate stands for the scenario.
    result = sorted(runs, key=lambda run: run.rps)[len(runs) // 2]
    if result.failed:
        return Measurement(scenario.name, target.name, None, rss_bytes=peak,
                           note=f"failed: {result.bad} bad of {result.requests}")
    note = f"{result.bad} bad of {result.requests}" if result.bad else ""
    rates = [run.rps for run in runs]
    spread = (min(rates), max(rates)) if len(runs) > 1 else None
    return Measurement(scenario.name, target.name, result.rps, result.p50_ms, result.p99_ms,
                       peak, note, spread)


def _url_list(plan: Plan, target: Target, label: str,
              lines: list[tuple[str, str | None]]) -> Path:
    return loadgen.write_url_list(plan.work / f"{target.name}-{label}.txt", lines)


def wrk_scenarios(target: Target, plan: Plan) -> list[WrkScenario | Measurement]:
    """Every wrk scenario, in table order, made ready against ``target`` (its pages probed, URL
    lists written under ``plan.work``, named after ``target.name``); a rate-less Measurement
    with a note stands for each scenario ``target`` cannot do."""
    names = [f"proj-{i:05d}" for i in range(target.projects)]
    found = loadgen.probe(target.base, target.simple, names, sample=plan.probe_sample,
                          headers=target.headers)
    random_env = {"NPROJ": str(target.projects), "PREFIX": target.simple}
    urls = loadgen.URLS_LUA
    out: list[WrkScenario | Measurement] = [
        WrkScenario(HTML_PAGES, loadgen.RANDOM_SIMPLE_LUA, {**random_env, "ACCEPT": loadgen.HTML})]
    if target.json:
        out.append(WrkScenario(JSON_PAGES, loadgen.RANDOM_SIMPLE_LUA,
                               {**random_env, "ACCEPT": loadgen.JSON}))
    else:
        out.append(Measurement(JSON_PAGES, target.name, None, note="no PEP 691 JSON"))
    big = _url_list(plan, target, "big", [(f"{target.simple}/{BIG_PROJECT}/", None)])
    out.append(WrkScenario(big_page(plan.big_files), urls,
                           {"URLS": str(big), "ACCEPT": loadgen.HTML}))
    tagged = [(p, tag) for p, tag in found.pages if tag]
    if tagged and loadgen.answers_304(target.base, *tagged[0], headers=target.headers):
        pages = _url_list(plan, target, "etags", list(tagged))
        out.append(WrkScenario(REVALIDATE, urls, {"URLS": str(pages), "ACCEPT": loadgen.HTML}))
    else:
        out.append(Measurement(REVALIDATE, target.name, None, note="no ETag/304"))
    if found.metadata:
        listed = _url_list(plan, target, "metadata", [(p, None) for p in found.metadata])
        out.append(WrkScenario(METADATA, urls, {"URLS": str(listed)}))
    else:
        out.append(Measurement(METADATA, target.name, None, note="no PEP 658"))
    listed = _url_list(plan, target, "files", [(p, None) for p in found.files])
    out.append(WrkScenario(DOWNLOADS, urls, {"URLS": str(listed)}))
    return out


def measure(target: Target, plan: Plan) -> list[Measurement]:
    """Every scenario against ``target``; unsupported ones get a row with a note."""
    out = [_wrk(target, plan, s) if isinstance(s, WrkScenario) else s
           for s in wrk_scenarios(target, plan)]
    if plan.packages:
        scenario = uv_install(len(plan.packages))
        try:
            seconds = clients.uv_install_seconds(
                target.index_url, plan.packages, plan.work / f"uv-{target.name}", timeout=600)
        except RuntimeError as failure:
            # A peer too slow for uv's own timeouts is a result, not a reason to lose the run.
            reason = str(failure).strip().splitlines()[-1][:80]
            out.append(Measurement(scenario, target.name, None, note=f"failed: {reason}"))
        else:
            out.append(Measurement(scenario, target.name, len(plan.packages) / seconds,
                                   note=f"{seconds:.1f} s"))
    return out
