"""Projects as an index's admins manage them: made empty for an owner, their limits, a summary."""

from strongroom.projects.changes import journal_changes
from strongroom.projects.service import KEEP, Keep, ProjectService, ProjectSummary

__all__ = ["KEEP", "Keep", "ProjectService", "ProjectSummary", "journal_changes"]
