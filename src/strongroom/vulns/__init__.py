"""Vulnerabilities: OSV records imported from files, URLs and a push feed, matched to
releases by PEP 440 (domain/advisories.py), and served to the JSON API, the OSV API and
``strongroom audit``.

Reading: ``advisories_for`` / ``records_for`` / ``record_by_id`` (one prepared query each, on
a connection the caller opened); the compact per-package rows are ``affected_row`` /
``affected_from_row``. Writing: ``VulnerabilityStore.save`` (a batch in one transaction, the
journal told which projects' releases changed), fed by ``open_path`` / ``download`` sources
through ``import_readings``, ``sync_feed`` for a URL polled with validators, and
``(coming) the push endpoint's conversion of PyPI's OSV report shape (the push endpoint).
"""

from strongroom.vulns.feeds import (
    MAX_ARCHIVE_BYTES,
    Download,
    FeedState,
    SyncResult,
    download,
    is_url,
    sync_feed,
    zip_of,
)
from strongroom.vulns.importing import BATCH, import_readings
from strongroom.vulns.listing import (
    RecordSummary,
    list_for_project,
    list_records,
    package_rows,
    stored_record,
)
from strongroom.vulns.models import VulnerabilityFeed, VulnerabilityPackage, VulnerabilityRecord
from strongroom.vulns.queries import advisories_for, record_by_id, records_for
from strongroom.vulns.report import OUTCOMES, ImportReport, Note
from strongroom.vulns.rows import CorruptRow, affected_from_row, affected_row
from strongroom.vulns.sources import MAX_RECORD_BYTES, Reading, Source, open_path, read_record
from strongroom.vulns.store import VulnerabilityStore

__all__ = [
    "BATCH", "MAX_ARCHIVE_BYTES", "MAX_RECORD_BYTES", "OUTCOMES", "CorruptRow", "Download",
    "FeedState", "ImportReport", "Note", "Reading", "RecordSummary", "Source", "SyncResult",
    "VulnerabilityFeed", "VulnerabilityPackage", "VulnerabilityRecord", "VulnerabilityStore",
    "advisories_for", "affected_from_row", "affected_row", "download", "import_readings",
    "is_url", "list_for_project", "list_records", "open_path", "package_rows", "read_record",
    "record_by_id", "records_for", "stored_record", "sync_feed", "zip_of",
]
