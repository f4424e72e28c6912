"""The vulns package's public API, which the JSON API, the OSV API, audits and the CLI build
on: its names are pinned here so that a change to them is deliberate."""

from __future__ import annotations

import strongroom.vulns

PUBLIC = [
    "BATCH", "CorruptRow", "Download", "FeedState", "ImportReport", "MAX_ARCHIVE_BYTES",
    "MAX_RECORD_BYTES", "Note", "OUTCOMES", "Reading", "RecordSummary", "Source", "SyncResult",
    "VulnerabilityFeed", "VulnerabilityPackage", "VulnerabilityRecord", "VulnerabilityStore",
    "advisories_for", "affected_from_row", "affected_row", "download", "import_readings",
    "is_url", "list_for_project", "list_records", "open_path", "package_rows", "read_record",
    "record_by_id", "records_for", "stored_record", "sync_feed", "zip_of",
]


def test_the_public_names_are_these() -> None:
    assert sorted(strongroom.vulns.__all__) == sorted(PUBLIC)
    assert all(hasattr(strongroom.vulns, name) for name in strongroom.vulns.__all__)
