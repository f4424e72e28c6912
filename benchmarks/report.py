"""The results table: one row per scenario and server, ratios to every peer, and the targets."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

PEERS = ("nginx-static", "devpi", "pypiserver")
_COLUMNS = ("scenario", "server", "req/s", "p50 ms", "p99 ms", "peak RSS MB",
            "x nginx", "x devpi", "x pypiserver")


@dataclass(frozen=True)
class Measurement:
    """One scenario on one server. ``rate`` is per second (requests, files or packages);
    None with a ``note`` when the server cannot do the scenario."""

    scenario: str
    server: str
    rate: float | None
    p50_ms: float | None = None
    p99_ms: float | None = None
    rss_bytes: int | None = None
    note: str = ""
    spread: tuple[float, float] | None = None  # the slowest and fastest run's rates


@dataclass(frozen=True)
class Target:
    """A goal: ``server``'s rate in ``scenario`` >= ``factor`` x ``peer``'s."""

    scenario: str
    server: str
    peer: str
    factor: float


def _find(results: Sequence[Measurement], scenario: str, server: str) -> Measurement | None:
    return next((m for m in results if m.scenario == scenario and m.server == server), None)


def _rate(results: Sequence[Measurement], scenario: str, server: str) -> float | None:
    found = _find(results, scenario, server)
    return None if found is None else found.rate


def ratio(results: Sequence[Measurement], m: Measurement, peer: str) -> float | None:
    """``m``'s rate over ``peer``'s in the same scenario; None when either is missing."""
    other = _rate(results, m.scenario, peer)
    return None if m.rate is None or not other else m.rate / other


def _num(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def rows(results: Sequence[Measurement]) -> list[list[str]]:
    """The table's cells, as text."""
    out = []
    for m in results:
        rss = None if m.rss_bytes is None else m.rss_bytes / 2**20
        rate = _num(m.rate) + (f" ({m.note})" if m.note else "")
        out.append([m.scenario, m.server, rate, _num(m.p50_ms, 2), _num(m.p99_ms, 2),
                    _num(rss, 0), *(_x(ratio(results, m, p)) for p in PEERS)])
    return out


def verdicts(results: Sequence[Measurement], targets: Sequence[Target]) -> list[str]:
    """One line per target: met, not met, or not measured."""
    lines = []
    for t in targets:
        own = _rate(results, t.scenario, t.server)
        other = _rate(results, t.scenario, t.peer)
        goal = f"{t.scenario}: {t.server} >= {t.factor:g} x {t.peer}"
        if own is None or not other:
            lines.append(f"{goal}: not measured")
            continue
        got = own / other
        lines.append(f"{goal}: {'met' if got >= t.factor else 'NOT MET'} ({got:.3g} x"
                     f"{_run_range(results, t)})")
    return lines


def _run_range(results: Sequence[Measurement], target: Target) -> str:
    """``; runs give a-b x``: the ratio's extremes over every pairing of the two servers' runs,
    when both were run more than once."""
    own = _find(results, target.scenario, target.server)
    other = _find(results, target.scenario, target.peer)
    if own is None or other is None or own.spread is None or other.spread is None:
        return ""
    low, high = own.spread[0] / other.spread[1], own.spread[1] / other.spread[0]
    return f"; runs give {low:.3g}-{high:.3g} x"


def print_table(results: Sequence[Measurement], lines: Sequence[str], console: Console) -> None:
    """The table and the verdicts on the console."""
    table = Table(*_COLUMNS, title="Strongroom benchmark (ratios are rate / peer's rate)")
    for row in rows(results):
        table.add_row(*row)
    console.print(table)
    for line in lines:
        console.print(line, highlight=False)


def markdown(results: Sequence[Measurement], lines: Sequence[str], preamble: Sequence[str]
             ) -> str:
    """The same table and verdicts as a markdown document."""
    out = [*preamble, "", "| " + " | ".join(_COLUMNS) + " |",
           "|" + "---|" * len(_COLUMNS)]
    out += ["| " + " | ".join(row) + " |" for row in rows(results)]
    out += ["", "## Targets", "", *(f"- {line}" for line in lines), ""]
    return "\n".join(out)
