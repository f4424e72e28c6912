"""The vulns package's public API, which the JSON API, the OSV API, audits and the CLI build
on: its names are pinned here so that a change to them is deliberate."""

from __future__ import annotations

import strongroom.vulns

PUBLIC = [
    "CorruptRow", "VulnerabilityFeed", "VulnerabilityPackage", "VulnerabilityRecord",
    "advisories_for", "affected_from_row", "affected_row", "record_by_id", "records_for",
]


def test_the_public_names_are_these() -> None:
    assert sorted(strongroom.vulns.__all__) == sorted(PUBLIC)
    assert all(hasattr(strongroom.vulns, name) for name in strongroom.vulns.__all__)
