"""Vulnerabilities: OSV records imported from files, URLs and a push feed, matched to
releases by PEP 440 (domain/advisories.py), and served to the JSON API, the OSV API and
``strongroom audit``."""

from strongroom.vulns.models import VulnerabilityFeed, VulnerabilityPackage, VulnerabilityRecord

__all__ = ["VulnerabilityFeed", "VulnerabilityPackage", "VulnerabilityRecord"]
