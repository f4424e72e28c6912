"""The A/B table of ``scripts/bench --compare``: each scenario's rates on the two builds, round
by round, and what their ratio says.

Round i of the baseline is paired with round i of the candidate: the two ran back to back, so
the spread of the per-round ratios shows how much the shared machine moves the answer. The ratio
of the medians gives the verdict; the team's rule is that a change stays within 5%.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table

TOLERANCE = 0.05  # the team's rule: a change to the read or upload path stays within 5%
_COLUMNS = ("scenario", "backend", "unit", "baseline", "candidate", "cand/base",
            "rounds' ratios", "verdict", "peak RSS MB base / cand")


@dataclass(frozen=True)
class Paired:
    """One scenario on one backend, measured on both builds: ``baseline[i]`` and
    ``candidate[i]`` are round i's rates, per second in ``unit``. Both are empty, with a
    ``note`` saying why, when the scenario could not be measured. ``rss_bytes`` is each
    build's peak RSS (baseline, candidate) over the scenario's measured runs."""

    scenario: str
    backend: str
    baseline: tuple[float, ...]
    candidate: tuple[float, ...]
    unit: str = "req/s"
    rss_bytes: tuple[int | None, int | None] = (None, None)
    note: str = ""

    def __post_init__(self) -> None:
        if len(self.baseline) != len(self.candidate):
            raise ValueError(f"{self.scenario}: {len(self.baseline)} baseline rounds against "
                             f"{len(self.candidate)} candidate rounds")

    @property
    def ratio(self) -> float | None:
        """The candidate's median rate over the baseline's; None when not measured."""
        if not self.baseline:
            return None
        return statistics.median(self.candidate) / statistics.median(self.baseline)

    @property
    def round_ratios(self) -> list[float]:
        """Each round's candidate rate over the same round's baseline rate."""
        return [c / b for b, c in zip(self.baseline, self.candidate, strict=True)]


def verdict(ratio: float, round_ratios: Sequence[float]) -> str:
    """``within 5%``, ``slower by X%`` or ``faster by X%`` from the ratio of medians, with a
    caution when some rounds fall below 0.95 and others not (then the rounds disagree on
    whether the candidate broke the rule), or when one round is all there is (no spread to
    judge the machine's noise by)."""
    if ratio < 1 - TOLERANCE:
        words = f"slower by {(1 - ratio) * 100:.1f}%"
    elif ratio > 1 + TOLERANCE:
        words = f"faster by {(ratio - 1) * 100:.1f}%"
    else:
        words = f"within {TOLERANCE:.0%}"
    if len(round_ratios) == 1:
        words += " (caution: one round, no spread)"
    elif round_ratios and min(round_ratios) < 1 - TOLERANCE <= max(round_ratios):
        words += f" (caution: the rounds straddle {1 - TOLERANCE:g})"
    return words


def _rate(values: Sequence[float]) -> str:
    return f"{statistics.median(values):,.1f}" if values else "-"


def _span(values: Sequence[float]) -> str:
    if not values:
        return "-"
    low, high = min(values), max(values)
    return f"{low:.3f}" if len(values) == 1 else f"{low:.3f}-{high:.3f}"


def _megabytes(value: int | None) -> str:
    return "-" if value is None else f"{value / 2**20:,.0f}"


def rows(results: Sequence[Paired]) -> list[list[str]]:
    """The table's cells, as text."""
    out = []
    for p in results:
        ratio = p.ratio
        judged = "-" if ratio is None else verdict(ratio, p.round_ratios)
        if p.note:
            judged = p.note if ratio is None else f"{judged}; {p.note}"
        out.append([p.scenario, p.backend, p.unit, _rate(p.baseline), _rate(p.candidate),
                    "-" if ratio is None else f"{ratio:.3f}", _span(p.round_ratios), judged,
                    " / ".join(map(_megabytes, p.rss_bytes))])
    return out


def print_table(results: Sequence[Paired], console: Console) -> None:
    """The table on the console."""
    table = Table(*_COLUMNS, title="Strongroom A/B (medians of rounds; ratio = candidate / "
                                   "baseline, higher is faster)")
    for row in rows(results):
        table.add_row(*row)
    console.print(table)


def markdown(results: Sequence[Paired], preamble: Sequence[str]) -> str:
    """The same table as a markdown document, then every round's rates."""
    out = [*preamble, "", "| " + " | ".join(_COLUMNS) + " |", "|" + "---|" * len(_COLUMNS)]
    out += ["| " + " | ".join(row) + " |" for row in rows(results)]
    out += ["", "## Rounds", "",
            "Each build's rate in rounds 1, 2, ... (baseline; candidate). The baseline ran first "
            "in odd rounds, the candidate in even ones.", ""]
    for p in results:
        if p.baseline:
            out.append(f"- {p.scenario}, {p.backend} ({p.unit}): "
                       f"{', '.join(f'{r:,.1f}' for r in p.baseline)}; "
                       f"{', '.join(f'{r:,.1f}' for r in p.candidate)}")
    out.append("")
    return "\n".join(out)
