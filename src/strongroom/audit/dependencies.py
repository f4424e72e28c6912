"""What an audit checks: dependencies pinned to one version, and those it cannot check.

Every input (an environment, a requirements file, ``pyproject.toml``, a lock file) comes down
to a list of ``Dependency`` (a name and the one version it is pinned to, and where it was
read) and of ``Skipped`` (what could not be audited, and why: unpinned, a URL or path, a
marker false here). Nothing an input names is dropped without a ``Skipped`` saying so.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from packaging.markers import InvalidMarker, Marker, UndefinedComparison, UndefinedEnvironmentName
from packaging.requirements import InvalidRequirement, Requirement

from strongroom.domain.names import normalize


@dataclass(frozen=True)
class Where:
    """Where a dependency was read: a file (``path`` as given, ``line`` from 1 when known), or
    an environment (``path`` the interpreter, ``line`` None)."""

    path: str
    line: int | None = None

    def __str__(self) -> str:
        return self.path if self.line is None else f"{self.path}:{self.line}"


@dataclass(frozen=True)
class Dependency:
    """A package pinned to one version: ``name`` as written, ``version`` as written."""

    name: str
    version: str
    where: Where

    @property
    def key(self) -> str:
        """The PEP 503 normalised name, which advisories use."""
        return normalize(self.name)


@dataclass(frozen=True)
class Skipped:
    """Something an input names that is not audited: ``what`` as written, and why."""

    what: str
    reason: str
    where: Where


@dataclass
class Inputs:
    """Dependencies and skipped entries, in the order read."""

    dependencies: list[Dependency] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    def extend(self, other: Inputs) -> None:
        """Add ``other``'s entries after these."""
        self.dependencies.extend(other.dependencies)
        self.skipped.extend(other.skipped)

    def unique(self) -> list[Dependency]:
        """The dependencies, each (normalised name, version) once, first reading kept."""
        seen: dict[tuple[str, str], Dependency] = {}
        for dependency in self.dependencies:
            seen.setdefault((dependency.key, dependency.version), dependency)
        return list(seen.values())


def marker_holds(marker: Marker | None, extras: frozenset[str] = frozenset()) -> bool:
    """Whether ``marker`` is true for the Python running the audit (any of ``extras``, or
    none, as the ``extra``); True when there is no marker. A marker packaging cannot evaluate
    is taken as true: auditing too much is safer than too little."""
    if marker is None:
        return True
    try:
        return any(marker.evaluate({"extra": extra}) for extra in (*sorted(extras), ""))
    except (UndefinedComparison, UndefinedEnvironmentName, InvalidMarker):
        return True


def pinned_version(requirement: Requirement) -> str | None:
    """The one version ``requirement`` allows (``==X`` without a wildcard, or ``===X``);
    None when it allows a range."""
    specifiers = list(requirement.specifier)
    if len(specifiers) != 1:
        return None
    only = specifiers[0]
    if only.operator == "===" or (only.operator == "==" and not only.version.endswith(".*")):
        return only.version
    return None


def from_requirement(text: str, where: Where, *, extras: frozenset[str] = frozenset(),
                     pins: dict[str, str] | None = None) -> Dependency | Skipped:
    """The dependency a PEP 508 requirement string names, or why it is skipped: not a
    requirement, a URL, its marker false here, or no single version (unless ``pins``, a
    constraint file's pins by normalised name, gives one)."""
    try:
        requirement = Requirement(text)
    except InvalidRequirement as exc:
        return Skipped(text, f"not a requirement ({exc})", where)
    if not marker_holds(requirement.marker, extras):
        return Skipped(text, f"its marker ({requirement.marker}) is false for this Python",
                       where)
    if requirement.url:
        return Skipped(text, "installed from a URL or path, not a version on an index", where)
    version = pinned_version(requirement)
    if version is None and pins is not None:
        version = pins.get(normalize(requirement.name))
    if version is None:
        allowed = str(requirement.specifier) or "any version"
        return Skipped(text, f"not pinned to one version ({allowed}); pin it with ==", where)
    return Dependency(requirement.name, version, where)
