"""Projects and their roles (the ``Project`` and ``Role`` tables, which uploads write too), the
journaling of a change to a project, and admin work: made empty for an owner, limits, a summary,
its roles given up when an account is deleted."""

from strongroom.projects.changes import journal_changes
from strongroom.projects.members import leave_projects, sole_owner_of
from strongroom.projects.models import Project, Role
from strongroom.projects.service import KEEP, Keep, ProjectService, ProjectSummary

__all__ = ["KEEP", "Keep", "Project", "ProjectService", "ProjectSummary", "Role", "journal_changes",
           "leave_projects", "sole_owner_of"]
