"""Importing a source's records in batches: one write transaction per ``BATCH`` records (a
crash or a busy database loses at most one batch, and other writers wait at most one batch's
time), refused records counted and named, the rest saved."""

from __future__ import annotations

from collections.abc import Callable

from strongroom.domain.advisories import Advisory
from strongroom.vulns.report import ImportReport
from strongroom.vulns.sources import Reading, Source
from strongroom.vulns.store import VulnerabilityStore

BATCH = 500  # records per write transaction


def import_readings(store: VulnerabilityStore, readings: Source | list[Reading], *,
                    source: str, actor: str | None = None, batch: int = BATCH,
                    progress: Callable[[int], None] | None = None) -> ImportReport:
    """Save every readable record of ``readings`` (recorded as coming from ``source``) in
    batches of ``batch``; count and keep the refused ones and the warnings. ``progress`` is
    told how many records each step handled (refused ones included)."""
    report = ImportReport()
    pending: list[tuple[Advisory, str]] = []
    read = 0

    def flush() -> None:
        nonlocal read
        if pending:
            report.merge(store.save(pending, source=source, actor=actor))
            pending.clear()
        if progress is not None and read:
            progress(read)
        read = 0

    for reading in readings:
        read += 1
        report.warnings += reading.warnings
        if reading.refusal is not None:
            report.refuse(reading.refusal)
        elif reading.advisory is not None:
            pending.append((reading.advisory, reading.text))
        if len(pending) >= batch or read >= batch:
            flush()
    flush()
    return report
