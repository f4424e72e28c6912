"""Auditing dependencies against security advisories: ``strongroom audit``.

Inputs (``environment``, ``requirements``, ``files``) come down to dependencies pinned to one
version, and what could not be audited with its reason; a source (an index's OSV API,
``IndexSource``, or an OSV zip read offline, ``OfflineDatabase``) proposes advisories, which
``audit`` matches with the domain's ``Advisory.affects``, as the index itself does; ``formats``
writes the report as JSON, SARIF or Markdown.
"""

from strongroom.audit.database import OfflineDatabase
from strongroom.audit.dependencies import Dependency, Inputs, Skipped, Where
from strongroom.audit.environment import installed
from strongroom.audit.files import read_file, read_pylock, read_pyproject, read_uv_lock
from strongroom.audit.formats import (
    COLUMNS,
    finding_row,
    summary,
    to_json,
    to_markdown,
    to_sarif,
)
from strongroom.audit.index import IndexSource
from strongroom.audit.matching import AdvisorySource, Finding, Report, Upgrade, audit
from strongroom.audit.requirements import read_requirements

__all__ = ["COLUMNS", "AdvisorySource", "Dependency", "Finding", "IndexSource", "Inputs",
           "OfflineDatabase", "Report", "Skipped", "Upgrade", "Where", "audit", "finding_row",
           "installed", "read_file", "read_pylock", "read_pyproject", "read_requirements",
           "read_uv_lock", "summary", "to_json", "to_markdown", "to_sarif"]
