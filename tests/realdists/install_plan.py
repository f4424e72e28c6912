"""Which files of the corpus pip can install on this interpreter, and in how many pip runs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from packaging.tags import Tag, sys_tags
from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version

from tests.realdists.corpus import RealDistribution


@dataclass(frozen=True)
class WheelPlan:
    """The wheels that fit this interpreter, split by how pip is asked for them.

    ``by_requirement``: for each release, the fitting wheel pip prefers, so ``name==version``
    must install exactly that file. ``by_url``: fitting wheels outranked by another wheel of
    their release (a pure wheel beside a binary one), installed by their URL on the index.
    """

    by_requirement: list[RealDistribution]
    by_url: list[RealDistribution]


def wheel_rank(distribution: RealDistribution, supported: Iterable[Tag] | None = None
               ) -> int | None:
    """Pip's preference for a wheel here (lower is better), or None when it does not fit."""
    ranks = {tag: rank for rank, tag in enumerate(sys_tags() if supported is None else supported)}
    _, _, _, tags = parse_wheel_filename(distribution.filename)
    fitting = [ranks[tag] for tag in tags if tag in ranks]
    return min(fitting) if fitting else None


def plan_wheels(corpus: Iterable[RealDistribution], supported: Iterable[Tag] | None = None
                ) -> WheelPlan:
    """Split the corpus's wheels that fit ``supported`` (this interpreter's tags by default)."""
    tags = list(sys_tags() if supported is None else supported)
    best: dict[tuple[str, Version], tuple[int, RealDistribution]] = {}
    outranked: list[RealDistribution] = []
    for distribution in corpus:
        if not distribution.is_wheel or (rank := wheel_rank(distribution, tags)) is None:
            continue
        release = (canonicalize_name(distribution.project), Version(distribution.version))
        if release not in best:
            best[release] = (rank, distribution)
        elif rank < best[release][0]:
            outranked.append(best[release][1])
            best[release] = (rank, distribution)
        else:
            outranked.append(distribution)
    return WheelPlan([chosen for _, chosen in best.values()], outranked)


def rounds(distributions: Iterable[RealDistribution]) -> list[list[RealDistribution]]:
    """``distributions`` grouped so that no group holds two files of one project: each group
    can be installed by one pip run into one target directory."""
    groups: list[list[RealDistribution]] = []
    for distribution in distributions:
        name = canonicalize_name(distribution.project)
        for group in groups:
            if all(canonicalize_name(other.project) != name for other in group):
                group.append(distribution)
                break
        else:
            groups.append([distribution])
    return groups
