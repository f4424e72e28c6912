"""The audit package's public API, which cli/audit.py builds on: pinned so a change is
deliberate."""

from __future__ import annotations

import strongroom.audit

PUBLIC = [
    "COLUMNS", "AdvisorySource", "Dependency", "Finding", "IndexSource", "Inputs",
    "OfflineDatabase", "Report", "Skipped", "Upgrade", "Where", "audit", "finding_row",
    "installed", "read_file", "read_pylock", "read_pyproject", "read_requirements",
    "read_uv_lock", "summary", "to_json", "to_markdown", "to_sarif",
]


def test_the_public_names_are_these() -> None:
    assert sorted(strongroom.audit.__all__) == sorted(PUBLIC)
    assert all(hasattr(strongroom.audit, name) for name in strongroom.audit.__all__)
