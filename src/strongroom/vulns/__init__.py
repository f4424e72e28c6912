"""Vulnerabilities: OSV records imported from files, URLs and a push feed, matched to
releases by PEP 440 (domain/advisories.py), and served to the JSON API, the OSV API and
``strongroom audit``."""

from strongroom.vulns.models import VulnerabilityFeed, VulnerabilityPackage, VulnerabilityRecord
from strongroom.vulns.queries import advisories_for, record_by_id, records_for
from strongroom.vulns.rows import CorruptRow, affected_from_row, affected_row

__all__ = [
    "CorruptRow", "VulnerabilityFeed", "VulnerabilityPackage", "VulnerabilityRecord",
    "advisories_for", "affected_from_row", "affected_row", "record_by_id", "records_for",
]
