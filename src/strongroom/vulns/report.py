"""What an import did, record by record counted: the summary ``admin vulns`` prints and the
push endpoint answers with."""

from __future__ import annotations

from dataclasses import dataclass, field

# The outcomes of one record, in the order the summary lists them.
OUTCOMES = ("added", "changed", "unchanged", "older", "withdrawn", "refused")


@dataclass(frozen=True)
class Note:
    """A refused record or a warning: where it came from (a file, a zip member, a URL), its
    id when it had a readable one, and what is wrong."""

    source: str
    record_id: str | None
    message: str

    def __str__(self) -> str:
        named = f" ({self.record_id})" if self.record_id else ""
        return f"{self.source}{named}: {self.message}"


@dataclass
class ImportReport:
    """Counts per outcome (``OUTCOMES``): ``added`` a new id; ``changed`` a newer copy of a
    known one; ``unchanged`` the same ``modified``; ``older`` an older copy, ignored;
    ``withdrawn`` a copy that withdraws it; ``refused`` malformed. ``refusals`` and
    ``warnings`` say which and why; ``serial`` is the newest journal serial written (None:
    no release on the index changed)."""

    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    refusals: list[Note] = field(default_factory=list)
    warnings: list[Note] = field(default_factory=list)
    journaled: int = 0
    serial: int | None = None

    def count(self, outcome: str, number: int = 1) -> None:
        """Count ``number`` records with ``outcome`` (one of OUTCOMES)."""
        self.counts[outcome] += number

    def refuse(self, note: Note) -> None:
        """Count a refused record and keep why."""
        self.counts["refused"] += 1
        self.refusals.append(note)

    def merge(self, other: ImportReport) -> None:
        """Add ``other``'s counts and notes to this report."""
        for outcome, number in other.counts.items():
            self.counts[outcome] += number
        self.refusals += other.refusals
        self.warnings += other.warnings
        self.journaled += other.journaled
        if other.serial is not None:
            self.serial = max(self.serial or 0, other.serial)

    @property
    def records(self) -> int:
        """How many records were read, refused ones included."""
        return sum(self.counts.values())

    @property
    def stored(self) -> int:
        """How many records were written (added, changed or withdrawn)."""
        return self.counts["added"] + self.counts["changed"] + self.counts["withdrawn"]

    def as_json(self) -> dict[str, object]:
        """The report as a JSON object: counts, warnings, journal entries, refusals."""
        return {**self.counts, "warnings": len(self.warnings), "journaled": self.journaled,
                "refusals": [str(note) for note in self.refusals]}
