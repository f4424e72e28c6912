"""Which dependencies the advisories affect, and the smallest upgrades that clear them.

An ``AdvisorySource`` (an OSV database read offline, or an index's OSV API) proposes the
advisories concerning each dependency; ``audit`` keeps those that ``Advisory.affects`` the
dependency's version, with the same code the index uses to match, so that the client and the
server agree. An advisory a source proposes that does not affect the version by that code is
``disputed``: reported as a warning, never as a vulnerability.

Fixes: ``Finding.fix`` is the lowest ``fixed`` version above the dependency's that the
advisory does not affect; ``Upgrade.target`` the lowest version among every advisory's fixed
versions of the package that no advisory of the package (except those ignored) affects, so
that the upgrade does not trade one advisory for another.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from strongroom.audit.dependencies import Dependency, Skipped
from strongroom.domain.advisories import Advisory, parse_version


class AdvisorySource(Protocol):
    """Where advisories come from."""

    def proposed(self, dependencies: Sequence[Dependency]
                 ) -> dict[tuple[str, str], list[Advisory]]:
        """The advisories the source says affect each (normalised name, version) of
        ``dependencies`` (absent or empty: none)."""
        ...

    def every(self, names: Iterable[str]) -> dict[str, list[Advisory]]:
        """Every advisory the source has for each normalised name."""
        ...


@dataclass(frozen=True)
class Finding:
    """An advisory that affects a dependency's version."""

    dependency: Dependency
    advisory: Advisory

    @property
    def ids(self) -> tuple[str, ...]:
        """The advisory's id, then its aliases."""
        return (self.advisory.id, *self.advisory.aliases)

    @property
    def fix(self) -> str | None:
        """The smallest fixed version above the dependency's that this advisory does not
        affect; None when none is known."""
        return _first_clear(self.dependency, [self.advisory],
                            self.advisory.fixed_in(self.dependency.key))


@dataclass(frozen=True)
class Upgrade:
    """The smallest upgrade of a vulnerable dependency clearing the advisories in ``clears``:
    ``target`` None when no known fixed version clears them all."""

    dependency: Dependency
    target: str | None
    clears: tuple[str, ...]


@dataclass
class Report:
    """An audit's outcome: what was audited, skipped, found (less ``ignored``), and the
    upgrades when asked for."""

    dependencies: list[Dependency]
    skipped: list[Skipped]
    findings: list[Finding] = field(default_factory=list)
    ignored: list[Finding] = field(default_factory=list)
    disputed: list[Finding] = field(default_factory=list)
    upgrades: list[Upgrade] | None = None

    @property
    def vulnerable(self) -> list[Dependency]:
        """The dependencies with at least one finding, each once, in order."""
        return list(dict.fromkeys(finding.dependency for finding in self.findings))


def _is_ignored(advisory: Advisory, ignore: frozenset[str]) -> bool:
    return any(name.casefold() in ignore for name in (advisory.id, *advisory.aliases))


def _first_clear(dependency: Dependency, advisories: Sequence[Advisory],
                 candidates: Iterable[str]) -> str | None:
    """The lowest of ``candidates`` above the dependency's version that none of
    ``advisories`` affects."""
    current = parse_version(dependency.version)
    if current is None:
        return None
    above = sorted(((parsed, text) for text in set(candidates)
                    if (parsed := parse_version(text)) is not None and parsed > current),
                   key=lambda pair: pair[0])
    for _parsed, text in above:
        if not any(a.affects(dependency.key, text) for a in advisories):
            return text
    return None


def audit(dependencies: Sequence[Dependency], skipped: Sequence[Skipped],
          source: AdvisorySource, *, ignore: Iterable[str] = (), fix: bool = False) -> Report:
    """Match ``dependencies`` (each (name, version) once) against ``source``; with ``fix``,
    work out each vulnerable dependency's smallest upgrade. ``ignore`` holds advisory ids or
    aliases (any case) whose findings are set aside."""
    ignoring = frozenset(name.casefold() for name in ignore)
    report = Report(list(dependencies), list(skipped))
    proposed = source.proposed(dependencies)
    for dependency in dependencies:
        advisories = proposed.get((dependency.key, dependency.version), [])
        for advisory in sorted({a.id: a for a in advisories}.values(), key=lambda a: a.id):
            finding = Finding(dependency, advisory)
            if not advisory.affects(dependency.key, dependency.version):
                report.disputed.append(finding)
            elif _is_ignored(advisory, ignoring):
                report.ignored.append(finding)
            else:
                report.findings.append(finding)
    if fix:
        report.upgrades = _upgrades(report, source, ignoring)
    return report


def _upgrades(report: Report, source: AdvisorySource,
              ignoring: frozenset[str]) -> list[Upgrade]:
    vulnerable = report.vulnerable
    every = source.every({dependency.key for dependency in vulnerable})
    upgrades = []
    for dependency in vulnerable:
        counted = [a for a in every.get(dependency.key, []) if not _is_ignored(a, ignoring)]
        found = {f.advisory.id: f.advisory for f in report.findings
                 if f.dependency == dependency}
        # The findings count even if ``every`` missed one (a source updated in between).
        counted += [a for a in found.values() if a.id not in {c.id for c in counted}]
        candidates = [version for a in counted for version in a.fixed_in(dependency.key)]
        target = _first_clear(dependency, counted, candidates)
        upgrades.append(Upgrade(dependency, target, tuple(sorted(found))))
    return upgrades

