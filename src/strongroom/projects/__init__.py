"""Projects and their roles (the ``Project`` and ``Role`` tables, which uploads write too), the
journaling of a change to a project, and admin work: made empty for an owner, limits, a summary,
its roles given up when an account is deleted.

Roles: ``RoleService`` lists and changes them, ``InvitationService`` invites users to them,
``TeamService`` manages teams and their roles (roles.py states the rules, teams.py who may give a
team a role); ``team_role`` is the expression the upload's one access query adds so that a
team's role lets its members upload.
"""

from strongroom.projects.changes import journal_changes
from strongroom.projects.invitations import INVITATION_LIFETIME, Invitation, InvitationService
from strongroom.projects.members import leave_projects, sole_owner_of
from strongroom.projects.models import Project, Role
from strongroom.projects.roles import (
    MAINTAINER,
    OWNER,
    ROLES,
    RoleHolder,
    RoleService,
    require_owner,
    team_role,
)
from strongroom.projects.service import (
    KEEP,
    Keep,
    ProjectService,
    ProjectSummary,
    new_project,
    project_named,
)
from strongroom.projects.teams import TeamService, TeamSummary

__all__ = ["INVITATION_LIFETIME", "KEEP", "MAINTAINER", "OWNER", "ROLES", "Invitation",
           "InvitationService", "Keep", "Project", "ProjectService", "ProjectSummary", "Role",
           "RoleHolder", "RoleService", "TeamService", "TeamSummary", "journal_changes",
           "leave_projects", "new_project", "project_named", "require_owner", "sole_owner_of",
           "team_role"]
